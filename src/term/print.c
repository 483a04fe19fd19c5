/* SPDX-License-Identifier: MIT */
/*
** print.c: terms as text, like Erlang's io:format("~p") without its line
** breaking: {ok,1}, [1,2|3], "text", <<"bin">>, <<1,2>>, #{a => 1},
** 'quoted atom', <0.5.1>, #Ref<0.0.0.7>, 1.0e20 (pids and refs show their
** ETF words, as erl shows them: see term/term.h). Error terms print as
** #Error<ENOMEM> (they have no Erlang form).
**
** Strings: a proper list prints as "..." when every element is in
** Erlang's default (latin1) printable range: 32..126, 160..255 and the
** escapable controls \b \t \n \v \f \r \e. A binary prints as <<"...">> when
** its bytes are printable ASCII, as <<"..."/utf8>> when it is printable
** UTF-8, else as bytes. Output is UTF-8 (latin1 characters are encoded).
**
** Floats: the shortest digits that read back as the same double (found by
** trying 1..17 significant digits with printf/strtod), laid out by
** OTP's io_lib_format:insert_decimal rules: plain notation while it is not
** longer than scientific and |f| < 2^53, so 1.0, 0.1, 100.0, 1.0e4,
** 1.0e-4, 1.0e20.
**
** Bounded work: the writer counts every byte it would emit (the snprintf
** contract) but stops walking the term once the count passes
** max('size', 64 KiB). So the return value is exact whenever the full text
** is shorter than that, and otherwise a lower bound that is still >= size
** (truncation is always detectable with 'ret >= size'). The printable-list
** test looks at no more elements than the budget allows, which could
** misjudge only a list that is longer than the budget anyway. No
** recursion (walk.h): open containers wait on an explicit stack, so the
** depth a term may have is bounded only by the budget. [any]
*/
#include "map.h"
#include "term.h"
#include "walk.h"

#include <math.h>

#include <gmp.h>

#define MEASURE_MIN (64u * 1024u) /* bytes we always measure exactly */

typedef struct out {
  char *buf;
  size_t size;  /* of 'buf' */
  size_t len;   /* bytes the text has so far (written or not) */
  size_t limit; /* stop walking past this */
} out_t;

static int done(const out_t *o) {
  return o->len > o->limit;
}

static void put(out_t *o, const char *s, size_t n) {
  if (o->len + 1 < o->size) {
    size_t room = o->size - 1 - o->len;
    memcpy(o->buf + o->len, s, n < room ? n : room);
  }
  o->len += n;
}

static void puts_(out_t *o, const char *s) {
  put(o, s, strlen(s));
}

static void putc_(out_t *o, char c) {
  put(o, &c, 1);
}

static void put_cp(out_t *o, uint32_t cp) {
  unsigned char b[4];
  put(o, (const char *) b, beam__utf8_put(cp, b));
}

/* ---- Numbers ---- */

static void print_big(out_t *o, beam_term_t t) {
  mpz_t z;
  size_t n = beam__big_nlimbs(t);
  mpz_roinit_n(z, (const mp_limb_t *) beam__big_limbs(t),
               beam__big_neg(t) ? -(mp_size_t) n : (mp_size_t) n);
  size_t est = mpz_sizeinbase(z, 10) + 2; /* digits (maybe +1), sign, NUL */
  if (o->len + est > o->limit) {
    o->len += est - 2; /* past the budget: count, do not convert */
    return;
  }
  char *s = beam__malloc(est);
  if (s == NULL) {
    puts_(o, "#Error<ENOMEM>");
    return;
  }
  mpz_get_str(s, 10, z);
  puts_(o, s);
  beam__free(s);
}

/* Shortest round-trip digits of finite 'v' != 0, Erlang's layout. */
static size_t format_float(double v, char *out) {
  char e[40];
  if (v == 0)
    return (size_t) sprintf(out, signbit(v) ? "-0.0" : "0.0");
  for (int p = 1; p <= 17; p++) {
    snprintf(e, sizeof e, "%.*e", p - 1, v);
    if (strtod(e, NULL) == v)
      break;
  }
  /* e = [-]d[.ddd]e(+|-)XX */
  const char *s = e;
  char *q = out;
  if (*s == '-')
    *q++ = *s++;
  char digits[24];
  int L = 0;
  for (; *s != 'e'; s++)
    if (*s != '.')
      digits[L++] = *s;
  int exp10 = atoi(s + 1);
  while (L > 1 && digits[L - 1] == '0')
    L--;
  int place = exp10 - (L - 1);
  char expl[8];
  int explen = snprintf(expl, sizeof expl, "%d", exp10);
  int expcost = explen + 2;
  int sci = 0;
  if (place < 0) {
    if (exp10 >= 0) {
      memcpy(q, digits, (size_t) (L + place));
      q += L + place;
      *q++ = '.';
      memcpy(q, digits + L + place, (size_t) -place);
      q += -place;
    } else if (2 - place - L <= expcost) {
      *q++ = '0';
      *q++ = '.';
      for (int i = 0; i < -place - L; i++)
        *q++ = '0';
      memcpy(q, digits, (size_t) L);
      q += L;
    } else {
      sci = 1;
    }
  } else {
    int dot = L == 1;
    if (expcost + dot >= place + 2 && fabs(v) < 0x1p53) {
      memcpy(q, digits, (size_t) L);
      q += L;
      for (int i = 0; i < place; i++)
        *q++ = '0';
      *q++ = '.';
      *q++ = '0';
    } else {
      sci = 1;
    }
  }
  if (sci) {
    *q++ = digits[0];
    *q++ = '.';
    if (L == 1) {
      *q++ = '0';
    } else {
      memcpy(q, digits + 1, (size_t) (L - 1));
      q += L - 1;
    }
    *q++ = 'e';
    memcpy(q, expl, (size_t) explen);
    q += explen;
  }
  *q = '\0';
  return (size_t) (q - out);
}

/* ---- Atoms and strings ---- */

static const char *const reserved[] = {
    "after", "and",     "andalso", "band",  "begin", "bnot",    "bor",
    "bsl",   "bsr",     "bxor",    "case",  "catch", "cond",    "div",
    "else",  "end",     "fun",     "if",    "let",   "maybe",   "not",
    "of",    "or",      "orelse",  "receive", "rem", "try",     "when",
    "xor",
};

static int atom_needs_quotes(const char *s) {
  if (!(*s >= 'a' && *s <= 'z'))
    return 1;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || *p == '_' || *p == '@'))
      return 1;
  for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
    if (strcmp(s, reserved[i]) == 0)
      return 1;
  return 0;
}

/* One character inside quotes 'q', escaped as Erlang does. */
static void put_escaped(out_t *o, uint32_t c, char q) {
  static const char ctl[] = {'b', 't', 'n', 'v', 'f', 'r'}; /* 8..13 */
  char b[8];
  if (c == (uint32_t) q || c == '\\') {
    b[0] = '\\', b[1] = (char) c;
    put(o, b, 2);
  } else if (c >= 8 && c <= 13) {
    b[0] = '\\', b[1] = ctl[c - 8];
    put(o, b, 2);
  } else if (c == 27) {
    puts_(o, "\\e");
  } else if (c < 32 || c == 127) {
    /* Three digits, as erl writes them ('o\0262'): a digit that follows
    ** cannot join the escape when the text is read back. */
    snprintf(b, sizeof b, "\\%03o", (unsigned) c);
    puts_(o, b);
  } else {
    put_cp(o, c);
  }
}

static void print_atom(out_t *o, beam_term_t t) {
  const char *s = beam_atom_name(t);
  if (s == NULL) {
    puts_(o, "#Error<EBADTERM>");
    return;
  }
  if (!atom_needs_quotes(s)) {
    puts_(o, s);
    return;
  }
  putc_(o, '\'');
  const unsigned char *u = (const unsigned char *) s;
  size_t len = strlen(s), i = 0;
  while (i < len && !done(o)) {
    uint32_t cp;
    if (beam__utf8_next(u, len, &i, &cp) < 0)
      break;
    put_escaped(o, cp, '\'');
  }
  putc_(o, '\'');
}

static int printable(uint32_t c) {
  return (c >= 32 && c <= 126) || (c >= 160 && c <= 255) ||
         (c >= 8 && c <= 13) || c == 27;
}

/* A proper, non-empty list of printable characters (looking at no more
** than 'budget' cells; a longer printable prefix counts as printable). */
static int is_string(beam_term_t l, size_t budget) {
  for (; beam__tag(l) == BEAM__TAG_LIST; budget--) {
    if (budget == 0)
      return 1;
    beam_term_t h = beam__mk(beam__list_ptr(l)[0]);
    if (beam__tag(h) != BEAM__TAG_SMALL)
      return 0;
    int64_t c = (int64_t) h.raw >> 3;
    if (c < 0 || c > 255 || !printable((uint32_t) c))
      return 0;
    l = beam__mk(beam__list_ptr(l)[1]);
  }
  return l.raw == BEAM__NIL_RAW;
}

static void print_binary(out_t *o, beam_term_t t) {
  size_t len;
  const unsigned char *d = beam_binary_data(t, &len);
  size_t look = BEAM_MIN(len, o->limit - o->len + 1);
  int ascii = 1, utf8 = 1;
  for (size_t i = 0; i < look && (ascii || utf8);) {
    uint32_t cp;
    if (d[i] >= 0x80)
      ascii = 0;
    if (beam__utf8_next(d, look, &i, &cp) < 0) {
      /* a character cut by the look-ahead budget still counts */
      utf8 = utf8 && look < len && look - i < 4;
      ascii = 0;
      break;
    }
    if (!printable(cp) && cp < 256)
      ascii = utf8 = 0;
  }
  puts_(o, "<<");
  if (len > 0 && (ascii || utf8)) {
    putc_(o, '"');
    for (size_t i = 0; i < len && !done(o);) {
      uint32_t cp;
      if (beam__utf8_next(d, len, &i, &cp) < 0)
        break;
      put_escaped(o, cp, '"');
    }
    puts_(o, ascii ? "\"" : "\"/utf8");
  } else {
    char b[8];
    for (size_t i = 0; i < len && !done(o); i++) {
      int n = snprintf(b, sizeof b, i ? ",%u" : "%u", d[i]);
      put(o, b, (size_t) n);
    }
  }
  puts_(o, ">>");
}

/* What is left to print of an open container (walk.h). */
enum { K_TUPLE, K_MAP, K_LIST, K_CLOSE_LIST };
typedef struct open {
  unsigned kind;
  const uint64_t *p; /* tuple: its box; map: its keys then values (a
                        flat map's own, a trie's sorted copy); K_LIST:
                        the current cell */
  size_t i, n;       /* next element; elements (map: 2 * pairs) */
  uint64_t map;      /* K_MAP: the map, to free a trie's sorted copy */
} open_t;
BEAM__WALK_STACK(openstack, open_t)

/* A term with nothing inside to walk. */
static void print_leaf(out_t *o, beam_term_t t) {
  char b[64];
  switch (beam_type(t)) {
  case BEAM_T_INT:
    if (beam__tag(t) == BEAM__TAG_SMALL) {
      snprintf(b, sizeof b, "%lld", (long long) ((int64_t) t.raw >> 3));
      puts_(o, b);
    } else {
      print_big(o, t);
    }
    return;
  case BEAM_T_FLOAT:
    put(o, b, format_float(beam__float_val(t), b));
    return;
  case BEAM_T_ATOM:
    print_atom(o, t);
    return;
  case BEAM_T_REF: {
    /* As erl: #Ref<0.w2.w1.w0>, most significant word first; another
    ** node's refs show its atom index where erl shows a node number. */
    beam__ref_view_t v;
    beam__ref_view(t, &v);
    int local = v.node.raw == beam__am_nonode.raw && v.creation == 0;
    snprintf(b, sizeof b, "#Ref<%llu",
             local ? 0ull : (unsigned long long) (v.node.raw >> 3));
    puts_(o, b);
    for (unsigned i = v.n; i-- > 0;) {
      snprintf(b, sizeof b, ".%lu", (unsigned long) v.w[i]);
      puts_(o, b);
    }
    putc_(o, '>');
    return;
  }
  case BEAM_T_PID:
    beam_pid_print(b, sizeof b, t);
    puts_(o, b);
    return;
  case BEAM_T_NIL:
    puts_(o, "[]");
    return;
  case BEAM_T_BINARY:
    print_binary(o, t);
    return;
  default:
    snprintf(b, sizeof b, "#Error<%s>",
             t.raw == 0 ? "EBADTERM" : beam_err_name(beam_term_error(t)));
    puts_(o, b);
    return;
  }
}

/* A printable list, whole, as "...". */
static void print_string(out_t *o, beam_term_t l) {
  putc_(o, '"');
  while (beam__tag(l) == BEAM__TAG_LIST && !done(o)) {
    put_escaped(o, (uint32_t) (beam__list_ptr(l)[0] >> 3), '"');
    l = beam__mk(beam__list_ptr(l)[1]);
  }
  putc_(o, '"');
}

/* Print the opening of container 't' and push what is left of it; returns
** 0 with '*t' the first element to print, or 1 if nothing inside is left
** to walk (an empty container, or a string printed whole). */
static int print_open(out_t *o, openstack_t *s, beam_term_t *t) {
  const uint64_t *p;
  open_t *f;
  if (beam__tag(*t) == BEAM__TAG_LIST) {
    if (is_string(*t, o->limit - o->len + 1)) {
      print_string(o, *t);
      return 1;
    }
    p = beam__list_ptr(*t);
    putc_(o, '[');
    if ((f = openstack_push(s)) == NULL)
      return puts_(o, "#Error<ENOMEM>]"), 1;
    *f = (open_t){K_LIST, p, 0, 0, 0};
    *t = beam__mk(p[0]);
    return 0;
  }
  if (beam_is_map(*t)) { /* in map-key order, whatever its form */
    const uint64_t *keys, *vals;
    size_t n;
    puts_(o, "#{");
    if (beam_map_size(*t) == 0)
      return putc_(o, '}'), 1;
    if (beam__map_pairs(*t, &keys, &vals, &n) != 0)
      return puts_(o, "#Error<ENOMEM>}"), 1;
    if ((f = openstack_push(s)) == NULL) {
      beam__map_pairs_free(*t, keys);
      return puts_(o, "#Error<ENOMEM>}"), 1;
    }
    *f = (open_t){K_MAP, keys, 1, 2 * n, t->raw};
    *t = beam__mk(keys[0]);
    return 0;
  }
  p = beam__box_ptr(*t);
  size_t n = (size_t) BEAM__HDR_SIZE(p[0]);
  putc_(o, '{');
  if (n == 0)
    return putc_(o, '}'), 1;
  if ((f = openstack_push(s)) == NULL)
    return puts_(o, "#Error<ENOMEM>}"), 1;
  *f = (open_t){K_TUPLE, p, 1, n, 0};
  *t = beam__mk(p[1]);
  return 0;
}

/* Closing an open container gives back what it held. */
static void close_frame(open_t *f) {
  if (f->kind == K_MAP)
    beam__map_pairs_free(beam__mk(f->map), f->p);
}

/* The separator and next element of the innermost open container, closing
** those that are finished; 0 when the walk is over. */
static int print_next(out_t *o, openstack_t *s, beam_term_t *t) {
  while (s->sp > 0) {
    open_t *f = &s->f[s->sp - 1];
    switch (f->kind) {
    case K_TUPLE:
      if (f->i < f->n) {
        putc_(o, ',');
        *t = beam__mk(f->p[1 + f->i++]);
        return 1;
      }
      putc_(o, '}');
      break;
    case K_MAP:
      if (f->i < f->n) { /* element k: key k/2 or its value */
        size_t k = f->i++, half = f->n / 2;
        puts_(o, k & 1 ? " => " : ",");
        *t = beam__mk(f->p[(k & 1 ? half : 0) + k / 2]);
        return 1;
      }
      putc_(o, '}');
      close_frame(f);
      break;
    case K_LIST: {
      beam_term_t tail = beam__mk(f->p[1]);
      if (beam__tag(tail) == BEAM__TAG_LIST) {
        putc_(o, ',');
        f->p = beam__list_ptr(tail);
        *t = beam__mk(f->p[0]);
        return 1;
      }
      if (tail.raw != BEAM__NIL_RAW) {
        putc_(o, '|');
        f->kind = K_CLOSE_LIST;
        *t = tail;
        return 1;
      }
      putc_(o, ']');
      break;
    }
    default: /* K_CLOSE_LIST: the improper tail is printed */
      putc_(o, ']');
      break;
    }
    s->sp--;
  }
  return 0;
}

static void print_term(out_t *o, beam_term_t t) {
  openstack_t s;
  openstack_init(&s);
  while (!done(o)) {
    uint64_t tag = beam__tag(t);
    int leaf = !(tag == BEAM__TAG_LIST ||
                 beam__is_box_of(t, BEAM__SUB_TUPLE) || beam_is_map(t));
    if (leaf)
      print_leaf(o, t);
    if ((leaf || print_open(o, &s, &t)) && !print_next(o, &s, &t))
      break;
  }
  while (s.sp > 0) /* the budget ran out with containers open */
    close_frame(&s.f[--s.sp]);
  openstack_fini(&s);
}

size_t beam_print(char *buf, size_t size, beam_term_t t) {
  if (buf == NULL)
    size = 0;
  out_t o = {buf, size, 0, BEAM_MAX(size, (size_t) MEASURE_MIN)};
  print_term(&o, t);
  if (size > 0)
    buf[BEAM_MIN(o.len, size - 1)] = '\0';
  return o.len;
}

int beam_fprint(void *file, beam_term_t t, size_t max) {
  FILE *f = file ? (FILE *) file : stdout;
  if (max == 0)
    max = 4096;
  char small_buf[256];
  char *buf = max < sizeof small_buf ? small_buf : beam__malloc(max + 1);
  if (buf == NULL)
    return BEAM_ENOMEM;
  size_t n = beam_print(buf, max + 1, t);
  size_t w = BEAM_MIN(n, max);
  int rc = fwrite(buf, 1, w, f) == w ? (int) w : BEAM_EINVAL;
  if (buf != small_buf)
    beam__free(buf);
  return rc;
}
