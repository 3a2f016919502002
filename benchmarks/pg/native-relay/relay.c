/*
 * A byte relay between two connected sockets that runs inside Node's own libuv loop with
 * no JavaScript per read or write: the question it answers is whether the process (Node,
 * its loop, epoll) or the JavaScript per message keeps a Node relay below pgbouncer.
 * Benchmark only (node-native-relay.ts builds and loads it); the proxy does not use it.
 *
 * relay(fdA, fdB, onClose): watches duplicates of both descriptors with uv_poll, copies
 * what either side sends to the other, queues what a full socket does not take (and stops
 * reading the sender past 256 KiB queued, as the proxy does), and calls onClose once when
 * either side ends or fails. Node's own handles stay open but idle until onClose.
 */
#include <errno.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define READ_SIZE 65536
#define BACKLOG (256 * 1024)

typedef struct pair pair;

typedef struct side {
  uv_poll_t poll;
  int fd;
  int reading;
  /* Bytes toward this side that its socket did not take yet: [off, len) of queue. */
  char *queue;
  size_t len, off;
  pair *pair;
  struct side *peer;
} side;

struct pair {
  side a, b;
  napi_env env;
  napi_ref on_close;
  int closing, closed_handles;
  char buf[READ_SIZE];
};

static void on_events(uv_poll_t *handle, int status, int events);

static void watch(side *s) {
  int events = (s->reading ? UV_READABLE : 0) | (s->len > s->off ? UV_WRITABLE : 0);
  if (events) uv_poll_start(&s->poll, events, on_events);
  else uv_poll_stop(&s->poll);
}

static void on_handle_closed(uv_handle_t *handle) {
  pair *p = ((side *)handle->data)->pair;
  if (++p->closed_handles < 2) return;
  napi_handle_scope scope;
  napi_open_handle_scope(p->env, &scope);
  napi_value fn, recv;
  napi_get_reference_value(p->env, p->on_close, &fn);
  napi_get_global(p->env, &recv); /* make_callback wants an object receiver */
  /* From a libuv callback, make_callback runs the microtasks and ticks the call queues. */
  napi_async_context context;
  napi_value name;
  napi_create_string_utf8(p->env, "native-relay", NAPI_AUTO_LENGTH, &name);
  napi_async_init(p->env, NULL, name, &context);
  napi_make_callback(p->env, context, recv, fn, 0, NULL, NULL);
  napi_async_destroy(p->env, context);
  napi_delete_reference(p->env, p->on_close);
  napi_close_handle_scope(p->env, scope);
  free(p->a.queue);
  free(p->b.queue);
  free(p);
}

static void end(pair *p) {
  if (p->closing) return;
  p->closing = 1;
  uv_close((uv_handle_t *)&p->a.poll, on_handle_closed);
  uv_close((uv_handle_t *)&p->b.poll, on_handle_closed);
  close(p->a.fd);
  close(p->b.fd);
}

static int queue_bytes(side *to, const char *bytes, size_t n) {
  if (to->off > 0) {
    memmove(to->queue, to->queue + to->off, to->len - to->off);
    to->len -= to->off;
    to->off = 0;
  }
  char *grown = realloc(to->queue, to->len + n);
  if (!grown) return -1;
  to->queue = grown;
  memcpy(to->queue + to->len, bytes, n);
  to->len += n;
  return 0;
}

static void on_readable(side *s) {
  pair *p = s->pair;
  side *to = s->peer;
  ssize_t n = read(s->fd, p->buf, READ_SIZE);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) return end(p);
  size_t sent = 0;
  if (to->len == to->off) {
    ssize_t w = write(to->fd, p->buf, (size_t)n);
    if (w < 0 && errno != EAGAIN && errno != EINTR) return end(p);
    if (w > 0) sent = (size_t)w;
  }
  if (sent == (size_t)n) return;
  if (queue_bytes(to, p->buf + sent, (size_t)n - sent) < 0) return end(p);
  if (to->len - to->off >= BACKLOG) {
    s->reading = 0;
    watch(s);
  }
  watch(to);
}

static void on_writable(side *s) {
  ssize_t w = write(s->fd, s->queue + s->off, s->len - s->off);
  if (w < 0 && errno != EAGAIN && errno != EINTR) return end(s->pair);
  if (w > 0) s->off += (size_t)w;
  if (s->off == s->len) {
    s->off = s->len = 0;
    if (!s->peer->reading) {
      s->peer->reading = 1;
      watch(s->peer);
    }
  }
  watch(s);
}

static void on_events(uv_poll_t *handle, int status, int events) {
  side *s = handle->data;
  if (s->pair->closing) return;
  if (status < 0) return end(s->pair);
  if (events & UV_WRITABLE) on_writable(s);
  if (s->pair->closing) return;
  if (events & UV_READABLE) on_readable(s);
}

static int start_side(uv_loop_t *loop, pair *p, side *s, side *peer, int fd) {
  s->fd = dup(fd);
  s->pair = p;
  s->peer = peer;
  s->reading = 1;
  s->poll.data = s;
  if (s->fd < 0) return -1;
  return uv_poll_init(loop, &s->poll, s->fd);
}

static napi_value relay(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t a = -1, b = -1;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &a) != napi_ok ||
      napi_get_value_int32(env, argv[1], &b) != napi_ok) {
    napi_throw_type_error(env, NULL, "relay(fdA, fdB, onClose)");
    return NULL;
  }
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  pair *p = calloc(1, sizeof(pair));
  if (!p) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  p->env = env;
  if (start_side(loop, p, &p->a, &p->b, a) != 0 || start_side(loop, p, &p->b, &p->a, b) != 0) {
    napi_throw_error(env, NULL, "cannot watch the sockets");
    return NULL; /* a benchmark: the leak of a failed start does not matter */
  }
  napi_create_reference(env, argv[2], 1, &p->on_close);
  watch(&p->a);
  watch(&p->b);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "relay", NAPI_AUTO_LENGTH, relay, NULL, &fn);
  napi_set_named_property(env, exports, "relay", fn);
  return exports;
}
