/*
 * The native lane of the PostgreSQL proxy (src/proxy/native-lane.ts): per session, while the
 * JavaScript session has nothing under way, relay in C, inside Node's own libuv loop, the
 * exchanges the JavaScript side has judged before and registered here: a simple Query whose
 * text (or its numeric template, as decision-memo.ts makes it) was decided allow with nothing
 * to mask, or an extended batch (Bind, Describe, Execute, Sync) of a prepared statement so
 * decided, from the transaction status it was registered in. Its answer must be as
 * registered: exactly the RowDescription registered with it and DataRows (or, for a statement
 * that returns no rows, none), one CommandComplete whose count is within the registration's
 * row limit, if it has one, and ReadyForQuery with the status registered. Anything else hands
 * every unread and unsent byte back to JavaScript (the `onHandoff` callback), which goes on as
 * if it had read them itself.
 *
 * Nothing of a response reaches the client before the whole of it has been read and found
 * to be as registered, so a handoff never leaves a response half-relayed: JavaScript gets the
 * Query that was forwarded, to note it as its own, and the response from its first byte.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SIMPLE-QUERY
 *
 * The sockets are duplicates of the ones Node holds, watched with uv_poll only while the lane
 * runs; Node's handles are not reading meanwhile (JavaScript stops them before `start`).
 *
 * An audited session's lane asks JavaScript before it forwards each statement (`onStatement`,
 * which writes the decision record, or declines and the lane hands back with nothing sent) and
 * tells it when each response is whole, before any of it reaches the client (`onComplete`, for
 * the completion record): the audit log gets every statement the lane relays, the decision
 * record before the statement runs, as it would without the lane.
 */
#include <errno.h>
#include <stdbool.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define MAX_REGS 64
/* A Query message longer than this (type byte and length word included) goes to JavaScript. */
#define CLIENT_CAP 65536
/* A response longer than this goes to JavaScript, which streams it. */
#define RESPONSE_CAP 262144
/* As decision-memo.ts's TEMPLATE_MAX_LENGTH: longer texts have no template. */
#define TEMPLATE_MAX 4096
#define DESCRIPTION_MAX 8192

/*
 * What a registration is keyed by: a Query's exact text, its numeric template, or (BOUND) an
 * extended batch's prepared statement: its name, a NUL, 1 (the portal is described), and the
 * Bind's result-format section as sent (count and codes).
 */
enum { KIND_EXACT = 0, KIND_TEMPLATE = 1, KIND_BOUND = 2 };
/*
 * Where a response is: before its BindComplete (a batch), before its RowDescription, in its
 * rows, after its CommandComplete; for a statement that returns no rows, before the NoData
 * its Describe gets (a batch), before its CommandComplete.
 */
enum { AT_BIND = -1, AT_START = 0, AT_ROWS = 1, AT_END = 2, AT_NODATA = 3, AT_COMPLETE = 4 };
/* Transaction statuses, as ReadyForQuery reports them. */
#define STATUS_IDLE 'I'
#define STATUS_BLOCK 'T'

typedef struct reg {
  int32_t id;
  uint8_t kind;
  uint32_t hash;
  uint8_t *key;
  size_t key_len;
  uint8_t *desc;
  size_t desc_len;
  uint8_t has_desc; /* 0: the statement returns no rows (no RowDescription) */
  uint8_t from, to; /* the transaction status it runs from, and the one it leaves */
  int64_t limit;    /* the most rows its CommandComplete may count; -1 for no limit */
  uint64_t expires; /* uv_now milliseconds */
} reg;

typedef struct lane lane;

typedef struct poller {
  uv_poll_t poll;
  lane *owner;
} poller;

struct lane {
  napi_env env;
  napi_ref on_handoff;
  /* An audited session's: asked before each statement, told after each response (or NULL). */
  napi_ref on_statement, on_complete;
  /* Whether onComplete gets the response's bytes (a recorded session digests them). */
  int with_response;
  napi_async_context async;
  uv_loop_t *loop;
  int cfd, ufd;
  /* The proxy's maxMessageSize: a message past it, either way, is JavaScript's to refuse. */
  size_t max_message;
  poller *cp, *up;
  int cp_events, up_events;
  int open_pollers;
  int running;
  int destroyed; /* destroy() ran: sockets closed, no more use */
  int finalized; /* JavaScript let go of it: freed once its pollers have closed */
  int in_callback;
  /* Client bytes read and not yet handled; [0, qlen) is the Query in flight. */
  uint8_t cbuf[CLIENT_CAP];
  size_t clen;
  int32_t inflight; /* the registration's id, -1 when nothing is in flight */
  size_t qlen, up_off;
  uint8_t idesc[DESCRIPTION_MAX];
  size_t idesc_len;
  uint8_t ihas_desc, ito;
  int64_t ilimit;
  /* The transaction status as the server last reported it. */
  uint8_t status;
  /*
   * The registrations run since the status was last idle, once each, in order, and whether it
   * was idle since the last handoff: JavaScript notes them as run in the transaction (its side
   * channels are masked by them). No registration is made while the lane runs, so a run holds
   * at most MAX_REGS distinct ones.
   */
  int32_t ran[MAX_REGS];
  int ran_n;
  int idle_seen;
  /* The response read so far; [0, scan) is checked. */
  uint8_t *sbuf;
  size_t slen, scan;
  int at;
  double resp_rows;
  /*
   * What a completion record counts of the response in flight: from its first DataRow or
   * CommandComplete (a batch's; a Query's from its start) to the end of its CommandComplete,
   * and that message's tag. SIZE_MAX while not seen.
   */
  int ibatch;
  size_t span_start, span_end, tag_off, tag_len;
  int complete; /* the response is whole and being written to the client */
  size_t out_off;
  double statements, rows, bytes;
  reg regs[MAX_REGS];
  int nregs;
  uint8_t tmpl[TEMPLATE_MAX + 1];
  uint8_t bkey[CLIENT_CAP];
};

/* ---------------------------------------------------------------------------------------- */
/* Keys                                                                                     */
/* ---------------------------------------------------------------------------------------- */

static uint32_t fnv1a(const uint8_t *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 16777619u;
  }
  return h;
}

static int joins_number(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/*
 * decision-memo.ts's numericTemplate, byte for byte (its text is ASCII or it has none): the
 * length written to out, or -1 where it gives undefined. A test holds the two together.
 */
static long numeric_template(const uint8_t *s, size_t n, uint8_t *out) {
  if (n > TEMPLATE_MAX) return -1;
  size_t o = 0, copied = 0, i = 0;
  int replaced = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x20 ? (c != 0x09 && c != 0x0a && c != 0x0d) : c > 0x7e) return -1;
    if (c == '\'' || c == '"' || c == '$' || c == '\\') return -1;
    if ((c == '-' && i + 1 < n && s[i + 1] == '-') || (c == '/' && i + 1 < n && s[i + 1] == '*')) return -1;
    if (!is_digit(c) || (i > 0 && joins_number(s[i - 1]))) {
      i++;
      continue;
    }
    size_t end = i + 1;
    while (end < n && is_digit(s[end])) end++;
    if (end + 1 < n && s[end] == '.' && is_digit(s[end + 1])) {
      end += 2;
      while (end < n && is_digit(s[end])) end++;
    }
    if (end >= n || !joins_number(s[end])) {
      memcpy(out + o, s + copied, i - copied);
      o += i - copied;
      out[o++] = '?';
      copied = end;
      replaced = 1;
    }
    i = end;
  }
  if (!replaced) return -1;
  memcpy(out + o, s + copied, n - copied);
  o += n - copied;
  return (long)o;
}

static int index_of(lane *l, uint8_t kind, uint8_t from, const uint8_t *key, size_t n) {
  uint32_t h = fnv1a(key, n);
  for (int i = 0; i < l->nregs; i++) {
    reg *r = &l->regs[i];
    if (r->kind == kind && r->from == from && r->hash == h && r->key_len == n && memcmp(r->key, key, n) == 0)
      return i;
  }
  return -1;
}

/* The live registration of this key for the status the session is in. */
static reg *find(lane *l, uint8_t kind, const uint8_t *key, size_t n) {
  int i = index_of(l, kind, l->status, key, n);
  if (i < 0) return NULL;
  reg *r = &l->regs[i];
  return r->expires > uv_now(l->loop) ? r : NULL;
}

static reg *lookup(lane *l, const uint8_t *text, size_t n) {
  long t = numeric_template(text, n, l->tmpl);
  if (t >= 0) {
    reg *r = find(l, KIND_TEMPLATE, l->tmpl, (size_t)t);
    if (r) return r;
  }
  return find(l, KIND_EXACT, text, n);
}

static void free_reg(reg *r) {
  free(r->key);
  free(r->desc);
  memset(r, 0, sizeof(*r));
}

static void remove_reg(lane *l, int i) {
  free_reg(&l->regs[i]);
  memmove(&l->regs[i], &l->regs[i + 1], sizeof(reg) * (size_t)(l->nregs - i - 1));
  l->nregs--;
}

static void clear_regs(lane *l) {
  for (int i = 0; i < l->nregs; i++) free_reg(&l->regs[i]);
  l->nregs = 0;
}

/*
 * An extended batch of one registered prepared statement, as drivers send one execution
 * (libpq's PQexecPrepared): Bind of the unnamed portal, Describe of it, Execute with no row
 * limit, Sync. Its length in `*whole` and the key in `key`; 0 when the buffer holds only part
 * of it, -1 when it is not such a batch.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 */
static uint32_t be32(const uint8_t *p);

static int bound_batch(const uint8_t *b, size_t n, size_t max_message, size_t *whole, uint8_t *key, size_t *key_len) {
  size_t at = 0;
  const char order[4] = {'B', 'D', 'E', 'S'};
  for (int i = 0; i < 4; i++) {
    if (n - at < 5) return 0;
    if (b[at] != (uint8_t)order[i]) return -1;
    uint32_t len = be32(b + at + 1);
    if (len < 4 || (size_t)len + 1 > CLIENT_CAP || (size_t)len + 1 > max_message) return -1;
    if (n - at < (size_t)len + 1) return 0;
    const uint8_t *body = b + at + 5;
    size_t blen = (size_t)len - 4;
    switch (order[i]) {
      case 'B': {
        /* portal "" then the statement's name */
        if (blen < 2 || body[0] != 0) return -1;
        const uint8_t *name = body + 1;
        const uint8_t *nul = memchr(name, 0, blen - 1);
        if (!nul || nul == name) return -1;
        size_t name_len = (size_t)(nul - name);
        size_t r = 1 + name_len + 1;
        if (blen - r < 2) return -1;
        size_t nf = ((size_t)body[r] << 8) | body[r + 1];
        r += 2;
        if (blen - r < 2 * nf + 2) return -1;
        r += 2 * nf;
        size_t np = ((size_t)body[r] << 8) | body[r + 1];
        r += 2;
        for (size_t k = 0; k < np; k++) {
          if (blen - r < 4) return -1;
          int32_t plen = (int32_t)be32(body + r);
          r += 4;
          if (plen < -1) return -1;
          if (plen > 0) {
            if (blen - r < (size_t)plen) return -1;
            r += (size_t)plen;
          }
        }
        if (blen - r < 2) return -1;
        size_t nr = ((size_t)body[r] << 8) | body[r + 1];
        if (blen - r != 2 + 2 * nr) return -1;
        memcpy(key, name, name_len);
        key[name_len] = 0;
        key[name_len + 1] = 1;
        memcpy(key + name_len + 2, body + r, blen - r);
        *key_len = name_len + 2 + (blen - r);
        break;
      }
      case 'D':
        if (blen != 2 || body[0] != 'P' || body[1] != 0) return -1;
        break;
      case 'E':
        if (blen != 5 || body[0] != 0 || be32(body + 1) != 0) return -1;
        break;
      default:
        if (blen != 0) return -1;
    }
    at += (size_t)len + 1;
  }
  *whole = at;
  return 1;
}

/* ---------------------------------------------------------------------------------------- */
/* Polling                                                                                  */
/* ---------------------------------------------------------------------------------------- */

static void on_events(uv_poll_t *handle, int status, int events);

static void poller_closed(uv_handle_t *handle) {
  poller *p = (poller *)handle;
  lane *l = p->owner;
  free(p);
  if (--l->open_pollers == 0 && l->finalized && !l->in_callback) free(l);
}

static poller *open_poller(lane *l, int fd) {
  poller *p = calloc(1, sizeof(poller));
  if (!p) return NULL;
  p->owner = l;
  if (uv_poll_init(l->loop, &p->poll, fd) != 0) {
    free(p);
    return NULL;
  }
  l->open_pollers++;
  return p;
}

static void close_poller(poller **pp) {
  poller *p = *pp;
  if (!p) return;
  *pp = NULL;
  uv_poll_stop(&p->poll);
  uv_close((uv_handle_t *)&p->poll, poller_closed);
}

static void set_events(poller *p, int *current, int events) {
  if (*current == events) return;
  *current = events;
  if (events) uv_poll_start(&p->poll, events, on_events);
  else uv_poll_stop(&p->poll);
}

/*
 * What each socket is watched for, from where the exchange is. The common case keeps both on
 * readable throughout, so an exchange costs no epoll_ctl: a client that sends while a Query is
 * in flight is read into the buffer (and left alone once it is full); a socket is watched
 * for writable only while a write of ours waits, and the server is not read meanwhile.
 */
static void watch(lane *l) {
  if (!l->running) return;
  int client, upstream;
  if (l->complete) {
    client = UV_WRITABLE;
    upstream = 0;
  } else {
    client = l->clen < CLIENT_CAP ? UV_READABLE : 0;
    upstream = UV_READABLE | (l->inflight >= 0 && l->up_off < l->qlen ? UV_WRITABLE : 0);
  }
  set_events(l->cp, &l->cp_events, client);
  set_events(l->up, &l->up_events, upstream);
}

/* ---------------------------------------------------------------------------------------- */
/* Handing back to JavaScript                                                               */
/* ---------------------------------------------------------------------------------------- */

static napi_value bytes(napi_env env, const uint8_t *p, size_t n) {
  napi_value out;
  void *data;
  napi_create_buffer_copy(env, n, n ? p : (const uint8_t *)"", &data, &out);
  return out;
}

static void set_double(napi_env env, napi_value obj, const char *name, double v) {
  napi_value x;
  napi_create_double(env, v, &x);
  napi_set_named_property(env, obj, name, x);
}

/*
 * Stop watching, and describe what JavaScript takes over: the Query in flight (its bytes
 * and registration, plus what of it the server has not been sent), the bytes owed to the
 * client of a response already checked, the unchecked response, the client's unread bytes,
 * and the counts since the last handoff. The lane's buffers are empty afterwards.
 */
static napi_value take_back(lane *l, const char *reason) {
  napi_env env = l->env;
  close_poller(&l->cp);
  close_poller(&l->up);
  l->cp_events = l->up_events = 0;
  l->running = 0;
  napi_value h;
  napi_create_object(env, &h);
  napi_value why;
  napi_create_string_utf8(env, reason, NAPI_AUTO_LENGTH, &why);
  napi_set_named_property(env, h, "reason", why);
  size_t handled = 0;
  if (l->complete) {
    /* Checked and partly written: the statement is done; the rest is owed to the client. */
    napi_set_named_property(env, h, "toClient", bytes(env, l->sbuf + l->out_off, l->slen - l->out_off));
    l->statements += 1;
    l->rows += l->resp_rows;
    l->bytes += (double)l->slen;
    handled = l->qlen;
    set_double(env, h, "id", -1);
  } else if (l->inflight >= 0) {
    set_double(env, h, "id", l->inflight);
    napi_set_named_property(env, h, "query", bytes(env, l->cbuf, l->qlen));
    napi_set_named_property(env, h, "unsent", bytes(env, l->cbuf + l->up_off, l->qlen - l->up_off));
    napi_set_named_property(env, h, "server", bytes(env, l->sbuf, l->slen));
    handled = l->qlen;
  } else {
    set_double(env, h, "id", -1);
    napi_set_named_property(env, h, "server", bytes(env, l->sbuf, l->slen));
  }
  napi_set_named_property(env, h, "client", bytes(env, l->cbuf + handled, l->clen - handled));
  set_double(env, h, "statements", l->statements);
  set_double(env, h, "rows", l->rows);
  set_double(env, h, "bytes", l->bytes);
  napi_value status, ran, idle;
  char st[2] = {(char)l->status, 0};
  napi_create_string_utf8(env, st, 1, &status);
  napi_set_named_property(env, h, "status", status);
  napi_create_array_with_length(env, (size_t)l->ran_n, &ran);
  for (int i = 0; i < l->ran_n; i++) {
    napi_value id;
    napi_create_int32(env, l->ran[i], &id);
    napi_set_element(env, ran, (uint32_t)i, id);
  }
  napi_set_named_property(env, h, "ran", ran);
  napi_get_boolean(env, l->idle_seen, &idle);
  napi_set_named_property(env, h, "idle", idle);
  l->ran_n = 0;
  l->idle_seen = 0;
  l->statements = l->rows = l->bytes = 0;
  l->clen = l->slen = l->scan = 0;
  l->inflight = -1;
  l->qlen = l->up_off = 0;
  l->complete = 0;
  l->out_off = 0;
  l->at = AT_START;
  l->resp_rows = 0;
  return h;
}

/* From a libuv callback: hand back, and tell JavaScript. */
static void handoff(lane *l, const char *reason) {
  napi_env env = l->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value h = take_back(l, reason);
  napi_value fn, recv;
  napi_get_reference_value(env, l->on_handoff, &fn);
  napi_get_global(env, &recv);
  l->in_callback = 1;
  /* make_callback runs the microtasks and ticks after it, as any I/O callback of Node's. */
  napi_value result;
  napi_status status = napi_make_callback(env, l->async, recv, fn, 1, &h, &result);
  l->in_callback = 0;
  if (status == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
  if (l->finalized && l->open_pollers == 0) free(l);
}

/*
 * From a libuv callback, inside a handle scope: call an audited session's callback. 1 when the
 * lane goes on afterwards; 0 when JavaScript stopped or destroyed it meanwhile (a handoff it
 * made itself), or let go of it, in which case `l` is freed and must not be touched again.
 * A callback that throws counts as a failure to go on (-1); it is reported as uncaught.
 */
static int call_js(lane *l, napi_ref ref, size_t argc, const napi_value *argv, napi_value *result) {
  napi_env env = l->env;
  napi_value fn, recv;
  napi_get_reference_value(env, ref, &fn);
  napi_get_global(env, &recv);
  l->in_callback = 1;
  napi_status status = napi_make_callback(env, l->async, recv, fn, argc, argv, result);
  l->in_callback = 0;
  if (status == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  if (l->finalized && l->open_pollers == 0) {
    free(l);
    return 0;
  }
  if (!l->running || l->destroyed) return 0;
  return status == napi_ok ? 1 : -1;
}

/* ---------------------------------------------------------------------------------------- */
/* The exchange                                                                             */
/* ---------------------------------------------------------------------------------------- */

static uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static int would_block(void) { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR; }

/* Returns nonzero when the lane was handed back (the caller stops). */
static int send_query(lane *l) {
  while (l->up_off < l->qlen) {
    ssize_t w = write(l->ufd, l->cbuf + l->up_off, l->qlen - l->up_off);
    if (w < 0) {
      if (would_block()) break;
      handoff(l, "upstream-write");
      return 1;
    }
    l->up_off += (size_t)w;
  }
  return 0;
}

/*
 * An audited session's onStatement(id, message): 1 when it answers true (the decision record
 * is written), 0 when the lane is gone or handed back meanwhile, -1 when it declines.
 */
static int ask_statement(lane *l, int32_t id, size_t length) {
  napi_env env = l->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value argv[2], result;
  napi_create_int32(env, id, &argv[0]);
  argv[1] = bytes(env, l->cbuf, length);
  int on = call_js(l, l->on_statement, 2, argv, &result);
  bool go = false;
  if (on > 0 && napi_get_value_bool(env, result, &go) != napi_ok) go = false;
  napi_close_handle_scope(env, scope);
  if (on == 0) return 0;
  return on > 0 && go ? 1 : -1;
}

/*
 * An audited session's onComplete(id, tag, bytes[, response]), once the response in flight is
 * whole and checked, before any of it is written to the client: 1 when the lane goes on.
 */
static int tell_complete(lane *l) {
  napi_env env = l->env;
  size_t start = l->ibatch ? l->span_start : 0;
  size_t end = l->ibatch ? l->span_end : l->slen;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value argv[4], result;
  size_t argc = l->with_response ? 4 : 3;
  napi_create_int32(env, l->inflight, &argv[0]);
  napi_create_string_latin1(env, (const char *)l->sbuf + l->tag_off, l->tag_len, &argv[1]);
  napi_create_double(env, (double)(end - start), &argv[2]);
  if (l->with_response) argv[3] = bytes(env, l->sbuf + start, end - start);
  int on = call_js(l, l->on_complete, argc, argv, &result);
  napi_close_handle_scope(env, scope);
  return on != 0;
}

/* Send the first `length` client bytes, a registered Query or batch; its response starts at `at`. */
static void forward(lane *l, const reg *r, size_t length, int at) {
  int32_t id = r->id;
  memcpy(l->idesc, r->desc, r->desc_len);
  l->idesc_len = r->desc_len;
  l->ihas_desc = r->has_desc;
  l->ito = r->to;
  l->ilimit = r->limit;
  /* `r` may be gone once JavaScript has run (a registration forgotten): only its copy is used. */
  if (l->on_statement) {
    int go = ask_statement(l, id, length);
    if (go == 0) return;
    if (go < 0) return handoff(l, "declined");
  }
  l->inflight = id;
  l->ibatch = at == AT_BIND;
  l->span_start = l->span_end = l->tag_off = SIZE_MAX;
  l->tag_len = 0;
  l->qlen = length;
  l->up_off = 0;
  l->at = at;
  l->resp_rows = 0;
  if (send_query(l)) return;
  watch(l);
}

/*
 * Take the next whole client message (or batch), if it is registered and the lane is free:
 * a Query, or an extended batch of a prepared statement (see bound_batch).
 */
static void dispatch(lane *l) {
  if (!l->running || l->inflight >= 0 || l->complete) return;
  if (l->clen == 0) return watch(l);
  if (l->slen > 0) return handoff(l, "server"); /* the server spoke unasked */
  if (l->cbuf[0] == 'B') {
    size_t whole = 0, key_len = 0;
    int found = bound_batch(l->cbuf, l->clen, l->max_message, &whole, l->bkey, &key_len);
    if (found == 0) return l->clen == CLIENT_CAP ? handoff(l, "message") : watch(l);
    if (found < 0) return handoff(l, "message");
    reg *r = find(l, KIND_BOUND, l->bkey, key_len);
    if (!r) return handoff(l, "unregistered");
    return forward(l, r, whole, AT_BIND);
  }
  if (l->cbuf[0] != 'Q') return handoff(l, "message");
  if (l->clen < 5) return watch(l);
  uint32_t len = be32(l->cbuf + 1);
  if (len < 5 || (size_t)len + 1 > CLIENT_CAP || (size_t)len + 1 > l->max_message) return handoff(l, "message");
  if (l->clen < (size_t)len + 1) return watch(l);
  const uint8_t *text = l->cbuf + 5;
  size_t n = (size_t)len - 5; /* without its terminating NUL */
  if (text[n] != 0 || memchr(text, 0, n) != NULL) return handoff(l, "message");
  reg *r = lookup(l, text, n);
  if (!r) return handoff(l, "unregistered");
  forward(l, r, (size_t)len + 1, r->has_desc ? AT_START : AT_COMPLETE);
}

static void finish(lane *l) {
  l->statements += 1;
  l->rows += l->resp_rows;
  l->bytes += (double)l->slen;
  memmove(l->cbuf, l->cbuf + l->qlen, l->clen - l->qlen);
  l->clen -= l->qlen;
  l->qlen = l->up_off = 0;
  l->slen = l->scan = 0;
  l->out_off = 0;
  l->complete = 0;
  l->inflight = -1;
  dispatch(l);
}

static void send_response(lane *l) {
  while (l->out_off < l->slen) {
    ssize_t w = write(l->cfd, l->sbuf + l->out_off, l->slen - l->out_off);
    if (w < 0) {
      if (would_block()) return watch(l);
      return handoff(l, "client-write");
    }
    l->out_off += (size_t)w;
  }
  finish(l);
}

/*
 * A CommandComplete's count within `limit`, as row-limit.ts's affectedRows reads a write's
 * tag (`UPDATE 5`, `DELETE 5`, `INSERT 0 5`, `MERGE 5`): anything else is not.
 */
static int within_limit(const uint8_t *body, size_t blen, int64_t limit) {
  if (blen < 2 || body[blen - 1] != 0) return 0;
  const uint8_t *sp = memchr(body, ' ', blen - 1);
  if (!sp) return 0;
  size_t word = (size_t)(sp - body);
  if (!((word == 6 && (memcmp(body, "INSERT", 6) == 0 || memcmp(body, "UPDATE", 6) == 0 ||
                       memcmp(body, "DELETE", 6) == 0)) ||
        (word == 5 && memcmp(body, "MERGE", 5) == 0)))
    return 0;
  size_t last = blen - 1;
  size_t at = last;
  while (at > 0 && body[at - 1] != ' ') at--;
  if (at == last || last - at > 18) return 0;
  int64_t count = 0;
  for (size_t i = at; i < last; i++) {
    if (!is_digit(body[i])) return 0;
    count = count * 10 + (body[i] - '0');
  }
  return count <= limit;
}

/* The statement in flight is done: the status it leaves, and it is noted as run. */
static void completed(lane *l) {
  l->status = l->ito;
  if (l->status == STATUS_IDLE) {
    l->ran_n = 0;
    l->idle_seen = 1;
    return;
  }
  for (int i = 0; i < l->ran_n; i++)
    if (l->ran[i] == l->inflight) return;
  if (l->ran_n < MAX_REGS) l->ran[l->ran_n++] = l->inflight;
}

/* Check the response's whole messages; once ReadyForQuery ends it as registered, send it. */
static void check_response(lane *l) {
  while (l->slen - l->scan >= 5) {
    const uint8_t *m = l->sbuf + l->scan;
    uint32_t len = be32(m + 1);
    if (len < 4) return handoff(l, "server-message");
    size_t whole = (size_t)len + 1;
    if (whole > RESPONSE_CAP || whole > l->max_message) return handoff(l, "large");
    if (l->slen - l->scan < whole) return;
    const uint8_t *body = m + 5;
    size_t blen = (size_t)len - 4;
    switch (m[0]) {
      case '2':
        if (l->at != AT_BIND || blen != 0) return handoff(l, "server-message");
        l->at = l->ihas_desc ? AT_START : AT_NODATA;
        break;
      case 'n':
        if (l->at != AT_NODATA || blen != 0) return handoff(l, "server-message");
        l->at = AT_COMPLETE;
        break;
      case 'T':
        if (l->at != AT_START || blen != l->idesc_len || memcmp(body, l->idesc, blen) != 0)
          return handoff(l, "description");
        l->at = AT_ROWS;
        break;
      case 'D':
        if (l->at != AT_ROWS) return handoff(l, "server-message");
        l->resp_rows += 1;
        if (l->span_start == SIZE_MAX) l->span_start = l->scan;
        break;
      case 'C':
        if (l->at != AT_ROWS && l->at != AT_COMPLETE) return handoff(l, "server-message");
        if (blen < 1 || body[blen - 1] != 0 || memchr(body, 0, blen - 1) != NULL)
          return handoff(l, "server-message");
        if (l->ilimit >= 0 && !within_limit(body, blen, l->ilimit)) return handoff(l, "limit");
        l->at = AT_END;
        if (l->span_start == SIZE_MAX) l->span_start = l->scan;
        l->span_end = l->scan + whole;
        l->tag_off = l->scan + 5;
        l->tag_len = blen - 1;
        break;
      case 'Z':
        if (l->at != AT_END || blen != 1) return handoff(l, "server-message");
        if (body[0] != l->ito) return handoff(l, "status");
        if (l->scan + whole != l->slen) return handoff(l, "server"); /* more after it, unasked */
        l->scan += whole;
        l->complete = 1;
        completed(l);
        if (l->on_complete && !tell_complete(l)) return;
        return send_response(l);
      default:
        return handoff(l, "server-message");
    }
    l->scan += whole;
  }
}

static void on_client_readable(lane *l) {
  if (l->clen == CLIENT_CAP) return l->inflight >= 0 ? watch(l) : handoff(l, "message");
  ssize_t n = read(l->cfd, l->cbuf + l->clen, CLIENT_CAP - l->clen);
  if (n < 0) {
    if (would_block()) return;
    return handoff(l, "client-error");
  }
  if (n == 0) return handoff(l, "client-end");
  l->clen += (size_t)n;
  dispatch(l);
}

static void on_upstream_readable(lane *l) {
  if (l->slen == RESPONSE_CAP) return handoff(l, "large");
  ssize_t n = read(l->ufd, l->sbuf + l->slen, RESPONSE_CAP - l->slen);
  if (n < 0) {
    if (would_block()) return;
    return handoff(l, "server-error");
  }
  if (n == 0) return handoff(l, "server-end");
  l->slen += (size_t)n;
  if (l->inflight < 0) return handoff(l, "server");
  check_response(l);
}

static void on_events(uv_poll_t *handle, int status, int events) {
  lane *l = ((poller *)handle)->owner;
  if (!l->running) return;
  if (status < 0) return handoff(l, "poll");
  int is_client = l->cp && handle == &l->cp->poll;
  if (is_client) {
    if (events & UV_WRITABLE) send_response(l);
    else if (events & UV_READABLE) on_client_readable(l);
    return;
  }
  if ((events & UV_WRITABLE) && l->inflight >= 0) {
    if (send_query(l)) return;
    watch(l);
  }
  if (l->running && (events & UV_READABLE)) on_upstream_readable(l);
}

/* ---------------------------------------------------------------------------------------- */
/* JavaScript API                                                                           */
/* ---------------------------------------------------------------------------------------- */

static lane *lane_of(napi_env env, napi_value v) {
  lane *l = NULL;
  if (napi_get_value_external(env, v, (void **)&l) != napi_ok || !l || l->destroyed) {
    napi_throw_type_error(env, NULL, "not a live lane");
    return NULL;
  }
  return l;
}

static void destroy_lane(napi_env env, lane *l) {
  if (l->destroyed) return;
  close_poller(&l->cp);
  close_poller(&l->up);
  l->running = 0;
  l->destroyed = 1;
  clear_regs(l);
  if (l->cfd >= 0) close(l->cfd);
  if (l->ufd >= 0) close(l->ufd);
  l->cfd = l->ufd = -1;
  free(l->sbuf);
  l->sbuf = NULL;
  napi_delete_reference(env, l->on_handoff);
  if (l->on_statement) napi_delete_reference(env, l->on_statement);
  if (l->on_complete) napi_delete_reference(env, l->on_complete);
  l->on_statement = l->on_complete = NULL;
  napi_async_destroy(env, l->async);
}

static void finalize_lane(napi_env env, void *data, void *hint) {
  (void)hint;
  lane *l = data;
  destroy_lane(env, l);
  l->finalized = 1;
  if (l->open_pollers == 0 && !l->in_callback) free(l);
}

#define ARGS(count)                                                                       \
  size_t argc = count;                                                                    \
  napi_value argv[count];                                                                 \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < count) { \
    napi_throw_type_error(env, NULL, "missing arguments");                                \
    return NULL;                                                                          \
  }

/*
 * create(clientFd, upstreamFd, maxMessageSize, onHandoff[, onStatement, onComplete,
 * withResponse]): the last three for an audited session (see the top of this file).
 */
static napi_value lane_create(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_valuetype audit_type = napi_undefined, complete_type = napi_undefined;
  bool with_response = false;
  int32_t cfd, ufd;
  double max_message;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      napi_get_value_int32(env, argv[0], &cfd) != napi_ok || napi_get_value_int32(env, argv[1], &ufd) != napi_ok ||
      napi_get_value_double(env, argv[2], &max_message) != napi_ok || !(max_message >= 5) ||
      (argc > 4 && napi_typeof(env, argv[4], &audit_type) != napi_ok) ||
      (argc > 5 && napi_typeof(env, argv[5], &complete_type) != napi_ok) ||
      (audit_type != napi_undefined && (audit_type != napi_function || complete_type != napi_function)) ||
      (argc > 6 && audit_type == napi_function && napi_get_value_bool(env, argv[6], &with_response) != napi_ok)) {
    napi_throw_type_error(env, NULL,
                          "create(clientFd, upstreamFd, maxMessageSize, onHandoff[, onStatement, onComplete, withResponse])");
    return NULL;
  }
  lane *l = calloc(1, sizeof(lane));
  if (!l) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  l->sbuf = malloc(RESPONSE_CAP);
  l->cfd = dup(cfd);
  l->ufd = dup(ufd);
  if (!l->sbuf || l->cfd < 0 || l->ufd < 0) {
    if (l->cfd >= 0) close(l->cfd);
    if (l->ufd >= 0) close(l->ufd);
    free(l->sbuf);
    free(l);
    napi_throw_error(env, NULL, "cannot take the sockets");
    return NULL;
  }
  l->env = env;
  l->inflight = -1;
  l->max_message = max_message > (double)SIZE_MAX ? SIZE_MAX : (size_t)max_message;
  napi_get_uv_event_loop(env, &l->loop);
  napi_create_reference(env, argv[3], 1, &l->on_handoff);
  if (audit_type == napi_function) {
    napi_create_reference(env, argv[4], 1, &l->on_statement);
    napi_create_reference(env, argv[5], 1, &l->on_complete);
    l->with_response = with_response;
  }
  napi_value name;
  napi_create_string_utf8(env, "portcullis-pg-lane", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &l->async);
  napi_value out;
  napi_create_external(env, l, finalize_lane, NULL, &out);
  return out;
}

static int is_status(int32_t s) { return s == STATUS_IDLE || s == STATUS_BLOCK; }

/*
 * register(lane, id, kind, key, description, ttlMs, from, to, limit): false when full or too
 * large. `description` null for a statement that returns no rows; `from` and `to` the status
 * codes ('I' or 'T') it runs from and leaves; `limit` -1, or its row limit.
 */
static napi_value lane_register(napi_env env, napi_callback_info info) {
  ARGS(9)
  lane *l = lane_of(env, argv[0]);
  if (!l) return NULL;
  int32_t id, kind, from, to;
  double ttl, limit;
  void *key, *desc = NULL;
  size_t key_len, desc_len = 0;
  napi_valuetype desc_type;
  napi_value result;
  if (napi_get_value_int32(env, argv[1], &id) != napi_ok || napi_get_value_int32(env, argv[2], &kind) != napi_ok ||
      napi_get_buffer_info(env, argv[3], &key, &key_len) != napi_ok || napi_typeof(env, argv[4], &desc_type) != napi_ok ||
      (desc_type != napi_null && napi_get_buffer_info(env, argv[4], &desc, &desc_len) != napi_ok) ||
      napi_get_value_double(env, argv[5], &ttl) != napi_ok || napi_get_value_int32(env, argv[6], &from) != napi_ok ||
      napi_get_value_int32(env, argv[7], &to) != napi_ok || napi_get_value_double(env, argv[8], &limit) != napi_ok ||
      id < 0 || kind < KIND_EXACT || kind > KIND_BOUND || !is_status(from) || !is_status(to) ||
      !(limit == -1 || (limit >= 0 && limit <= 9007199254740991.0 && limit == (double)(int64_t)limit))) {
    napi_throw_type_error(env, NULL, "register(lane, id, kind, key, description, ttlMs, from, to, limit)");
    return NULL;
  }
  if (desc_len > DESCRIPTION_MAX || key_len > CLIENT_CAP || !(ttl > 0)) {
    napi_get_boolean(env, 0, &result);
    return result;
  }
  uint32_t h = fnv1a(key, key_len);
  /* Registered again, or full: the one replaced, or the first registered, goes; the new one
     is last. JavaScript keeps its own list in the same order (a Map, deleted and set). */
  int gone = index_of(l, (uint8_t)kind, (uint8_t)from, key, key_len);
  if (gone < 0 && l->nregs == MAX_REGS) gone = 0;
  if (gone >= 0) remove_reg(l, gone);
  reg *slot = &l->regs[l->nregs];
  slot->key = malloc(key_len ? key_len : 1);
  slot->desc = malloc(desc_len ? desc_len : 1);
  if (!slot->key || !slot->desc) {
    free(slot->key);
    free(slot->desc);
    memset(slot, 0, sizeof(*slot));
    napi_get_boolean(env, 0, &result);
    return result;
  }
  l->nregs++;
  memcpy(slot->key, key, key_len);
  memcpy(slot->desc, desc, desc_len);
  slot->key_len = key_len;
  slot->desc_len = desc_len;
  slot->id = id;
  slot->kind = (uint8_t)kind;
  slot->hash = h;
  slot->has_desc = desc_type != napi_null;
  slot->from = (uint8_t)from;
  slot->to = (uint8_t)to;
  slot->limit = (int64_t)limit;
  uv_update_time(l->loop);
  slot->expires = uv_now(l->loop) + (uint64_t)ttl;
  napi_get_boolean(env, 1, &result);
  return result;
}

/* clear(lane): forget every registration; what is in flight goes on. */
static napi_value lane_clear(napi_env env, napi_callback_info info) {
  ARGS(1)
  lane *l = lane_of(env, argv[0]);
  if (l) clear_regs(l);
  return NULL;
}

/* unregister(lane, kind, from, key): forget one registration; false when there was none. */
static napi_value lane_unregister(napi_env env, napi_callback_info info) {
  ARGS(4)
  lane *l = lane_of(env, argv[0]);
  if (!l) return NULL;
  int32_t kind, from;
  void *key;
  size_t key_len;
  if (napi_get_value_int32(env, argv[1], &kind) != napi_ok || napi_get_value_int32(env, argv[2], &from) != napi_ok ||
      napi_get_buffer_info(env, argv[3], &key, &key_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "unregister(lane, kind, from, key)");
    return NULL;
  }
  int i = kind >= 0 && kind <= 255 && from >= 0 && from <= 255
              ? index_of(l, (uint8_t)kind, (uint8_t)from, key, key_len)
              : -1;
  if (i >= 0) remove_reg(l, i);
  napi_value out;
  napi_get_boolean(env, i >= 0, &out);
  return out;
}

/*
 * start(lane, status): 0, or a negative libuv error when the sockets cannot be watched.
 * `status`: the transaction status the server last reported ('I' or 'T').
 */
static napi_value lane_start(napi_env env, napi_callback_info info) {
  ARGS(2)
  lane *l = lane_of(env, argv[0]);
  if (!l) return NULL;
  int32_t status;
  if (napi_get_value_int32(env, argv[1], &status) != napi_ok || !is_status(status)) {
    napi_throw_type_error(env, NULL, "start(lane, status)");
    return NULL;
  }
  int err = 0;
  if (!l->running) {
    l->status = (uint8_t)status;
    l->ran_n = 0;
    l->idle_seen = 0;
    l->cp = open_poller(l, l->cfd);
    l->up = open_poller(l, l->ufd);
    if (!l->cp || !l->up) {
      close_poller(&l->cp);
      close_poller(&l->up);
      err = UV_EEXIST;
    } else {
      l->running = 1;
      l->cp_events = l->up_events = 0;
      watch(l);
    }
  }
  napi_value out;
  napi_create_int32(env, err, &out);
  return out;
}

/* stop(lane): what JavaScript takes over (as onHandoff gets it), or undefined when stopped. */
static napi_value lane_stop(napi_env env, napi_callback_info info) {
  ARGS(1)
  lane *l = lane_of(env, argv[0]);
  if (!l) return NULL;
  if (!l->running) return NULL;
  return take_back(l, "stopped");
}

static napi_value lane_destroy(napi_env env, napi_callback_info info) {
  ARGS(1)
  lane *l = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&l) == napi_ok && l) destroy_lane(env, l);
  return NULL;
}

/* template(buffer): numericTemplate of the text, as the lane keys it, or null. */
static napi_value lane_template(napi_env env, napi_callback_info info) {
  ARGS(1)
  void *data;
  size_t n;
  if (napi_get_buffer_info(env, argv[0], &data, &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "template(buffer)");
    return NULL;
  }
  uint8_t *out = malloc(n + 1);
  if (!out) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  long t = numeric_template(data, n, out);
  napi_value result;
  if (t < 0) napi_get_null(env, &result);
  else result = bytes(env, out, (size_t)t);
  free(out);
  return result;
}

NAPI_MODULE_INIT() {
  struct {
    const char *name;
    napi_callback fn;
  } fns[] = {
      {"create", lane_create},   {"register", lane_register}, {"unregister", lane_unregister},
      {"clear", lane_clear},     {"start", lane_start},       {"stop", lane_stop},
      {"destroy", lane_destroy}, {"template", lane_template},
  };
  for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}
