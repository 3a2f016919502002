/**
 * A JSON response as a server may write it, for the HTTP adapters' tests (fetch and http share
 * it, with http-test-policy's masks): a 64-bit id no JavaScript number holds, numbers spelled
 * their own way, its own spacing and key order, escaped characters (an e-mail's `@` among
 * them). Masked, it must come out the same but for the e-mails.
 */
export const EXACT_JSON = `{
  "id": 12345678901234567890, "price": 1.10, "ratio": 1e3,
  "zeta": "caf\\u00e9",
  "email": "ann@example.com",
  "alpha": [1.0, -0.0],
  "mail": "bob\\u0040example.org"
}
`;

export const EXACT_JSON_MASKED = EXACT_JSON.replace('"ann@example.com"', '"[REDACTED]"').replace(
  '"bob\\u0040example.org"',
  '"[REDACTED]"',
);

/**
 * JSON lines (`application/x-ndjson`) whose SSN is masked only by http-test-policy's JSONPath
 * mask (`$..ssn`; it has no SSN detector): each line is masked as a JSON document is.
 */
export const NDJSON_LINES =
  '{"name":"Ann","ssn":"123-45-6789","id":12345678901234567890}\n' +
  '{"name":"Bob", "ssn":"987-65-4321", "mail":"bob@example.org"}\n';

export const NDJSON_LINES_MASKED =
  '{"name":"Ann","ssn":"[REDACTED]","id":12345678901234567890}\n' +
  '{"name":"Bob", "ssn":"[REDACTED]", "mail":"[REDACTED]"}\n';

/**
 * JSON that writes a member name twice, the first time around an SSN: JavaScript keeps the
 * second `a`, where http-test-policy's `$..ssn` finds nothing, and a first-wins client would
 * read the SSN were the text passed on as written. Under JSONPath masks it goes out as the
 * document JavaScript keeps: REPEATED_NAME_JSON_MASKED.
 */
export const REPEATED_NAME_JSON = '{"a":{"ssn":"123-45-6789"},"a":"x"}';
export const REPEATED_NAME_JSON_MASKED = '{"a":"x"}';
