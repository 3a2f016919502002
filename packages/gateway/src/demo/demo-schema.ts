/** The demo database: people with personal data, and their orders, for masking and approvals to act on. */
export const DEMO_SCHEMA = `
CREATE TABLE users (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL,
  phone text,
  card_number text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users (id),
  total_cents integer NOT NULL,
  status text NOT NULL DEFAULT 'paid'
);
INSERT INTO users (name, email, phone, card_number) VALUES
  ('Ada Lovelace', 'ada@example.com', '+44 20 7946 0018', '4111 1111 1111 1111'),
  ('Grace Hopper', 'grace@example.org', '+1 202 555 0143', '5500 0000 0000 0004'),
  ('Alan Turing', 'alan@example.net', '+44 161 496 0734', '3400 0000 0000 009'),
  ('Katherine Johnson', 'katherine@example.com', '+1 757 555 0199', '6011 0000 0000 0004');
INSERT INTO orders (user_id, total_cents, status) VALUES
  (1, 4200, 'paid'), (2, 1999, 'paid'), (2, 350, 'refunded'), (4, 12000, 'paid');
`;
