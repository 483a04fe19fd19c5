/* SPDX-License-Identifier: MIT */
/*
** syntax.c: Erlang term syntax for C: beam_fmt() builds terms from text
** with '~' holes, beam_match() matches terms against patterns, and
** beam_syntax_check() explains what is wrong with a text.
**
** One lexer serves three walkers over the same grammar:
**   scan   validates, counts varargs, records the error position (the
**          only walker that must cope with malformed text);
**   build  (beam_fmt) constructs the term, on validated text;
**   walk   (beam_match) interprets a validated pattern against a term.
** beam_fmt and beam_match scan first, so a malformed string never consumes
** an argument or allocates, and the other walkers may assume the grammar.
**
** Grammar (both modes unless said):
**   term  := atom | 'quoted atom' | integer | float | "char list"
**          | <<seg, ...>>  (seg := integer 0..255 | "string")
**          | {term, ...} | [term, ... | term] | #{term => term, ...}
**          | ~i ~u ~f ~a ~s ~l ~b ~t                  (holes)
**          | <0.I.S> | #Ref<0.A.B.C>  (beam_fmt only: local pid, ref)
**          | Var | _Var | _         (patterns only; maps use := there)
** Strings take Erlang's escapes (\n \t \\ \" \x41 \x{1F600} \101 ...).
** In binaries, unescaped text keeps its UTF-8 bytes, so <<"é">> is two
** bytes (Erlang would need /utf8), and \xHH is the byte HH; beam_fmt also
** takes "..."/utf8, which print.c writes for UTF-8 binaries.
**
** Matching never allocates: literals are compared with the term in place
** (atoms by name, integers through a 16-limb stack buffer, strings by
** decoding as it walks). Bindings go to a 16-entry table on the stack and
** are written to the caller's pointers only when the whole pattern
** matched; a repeated variable must be =:= to its first binding. Once a
** part fails, the rest of the pattern is still walked, with no term, to
** consume its arguments (beam__pattern_match's contract). A map pattern
** key (a literal, hole or bound variable: never a new variable) is looked
** up by matching it against each key of the map with a copy of the
** argument list; O(keys) per pattern key, fine for flat maps.
**
** Threading: pure functions of their arguments. [any]
*/
#include "syntax.h"
#include "args.h"
#include "heap.h"
#include "pattern.h"

#include <math.h>

#define MAX_INT_DIGITS 300 /* fits BIG_LIMBS below */
#define BIG_LIMBS      16
#define MAX_FLOAT_LEN  64

/* ---- Lexer ---- */

static int is_ident(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '@';
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* One character of a quoted literal at s[*i] (before the closing quote):
** its code point, and whether it was written as an escape. -1 if bad. */
static int lit_char(const char *s, size_t *i, uint32_t *cp, int *escaped) {
  const unsigned char *u = (const unsigned char *) s;
  *escaped = 0;
  if (u[*i] == '\0')
    return -1;
  if (u[*i] != '\\')
    return beam__utf8_next(u, SIZE_MAX, i, cp); /* stops at the NUL */
  *escaped = 1;
  size_t k = *i + 1;
  char c = s[k++];
  uint32_t v = 0;
  switch (c) {
  case 'n': v = 10; break;
  case 't': v = 9; break;
  case 'r': v = 13; break;
  case 's': v = 32; break;
  case 'e': v = 27; break;
  case 'b': v = 8; break;
  case 'f': v = 12; break;
  case 'v': v = 11; break;
  case 'd': v = 127; break;
  case '\0':
    return -1;
  case 'x':
    if (s[k] == '{') {
      int n = 0;
      for (k++; hexval(s[k]) >= 0 && n < 7; k++, n++)
        v = v * 16 + (uint32_t) hexval(s[k]);
      if (n == 0 || s[k] != '}' || v > 0x10ffff ||
          (v >= 0xd800 && v <= 0xdfff))
        return -1;
      k++;
    } else {
      if (hexval(s[k]) < 0 || hexval(s[k + 1]) < 0)
        return -1;
      v = (uint32_t) (hexval(s[k]) * 16 + hexval(s[k + 1]));
      k += 2;
    }
    break;
  default:
    if (c >= '0' && c <= '7') {
      v = (uint32_t) (c - '0');
      for (int n = 1; n < 3 && s[k] >= '0' && s[k] <= '7'; n++)
        v = v * 8 + (uint32_t) (s[k++] - '0');
    } else if ((unsigned char) c < 0x80) {
      v = (uint32_t) c; /* \\ \" \' and any other ASCII: itself */
    } else {
      return -1;
    }
  }
  *cp = v;
  *i = k;
  return 0;
}

/* Length of "D+(.D+)*>" at 's' with 'min'..'max' dot-separated numbers,
** or 0 if the text is not of that form. */
static size_t dotted(const char *s, int min, int max) {
  size_t i = 0;
  int n = 0;
  for (;;) {
    if (!(s[i] >= '0' && s[i] <= '9'))
      return 0;
    while (s[i] >= '0' && s[i] <= '9')
      i++;
    n++;
    if (s[i] == '>')
      return n >= min && n <= max ? i + 1 : 0;
    if (s[i] != '.' || n == max)
      return 0;
    i++;
  }
}

/* The numbers of a T_PID or T_REF token (text after its '<') into 'out';
** returns how many, or -1 if one does not fit 32 bits. */
static int token_nums(const char *s, uint32_t *out, int max) {
  int n = 0;
  for (size_t i = 0; n < max && s[i] >= '0' && s[i] <= '9'; n++) {
    uint64_t v = 0;
    for (; s[i] >= '0' && s[i] <= '9'; i++) {
      v = v * 10 + (uint64_t) (s[i] - '0');
      if (v > UINT32_MAX)
        return -1;
    }
    out[n] = (uint32_t) v;
    if (s[i] == '.')
      i++;
  }
  return n;
}

static tok_t lex_err(size_t pos, const char *why) {
  tok_t t = {T_ERR, pos, 0, why};
  return t;
}

/* Out of line: inlined into the recursive walkers it would grow each of
** their frames. */
static BEAM_NOINLINE tok_t lex(const char *s, size_t *pos) {
  size_t p = *pos;
  while (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')
    p++;
  tok_t t = {T_END, p, 1, NULL};
  char c = s[p];
  switch (c) {
  case '\0': t.len = 0; break;
  case '{': t.k = T_LBRACE; break;
  case '}': t.k = T_RBRACE; break;
  case '[': t.k = T_LBRACK; break;
  case ']': t.k = T_RBRACK; break;
  case ',': t.k = T_COMMA; break;
  case '|': t.k = T_BAR; break;
  case '/': t.k = T_SLASH; break;
  case '<':
    if (s[p + 1] != '<' && (t.len = dotted(s + p + 1, 3, 3)) > 0) {
      t.k = T_PID, t.len++; /* <0.ID.Serial> */
      break;
    }
    /* fall through */
  case '>':
    if (s[p + 1] != c)
      return lex_err(p, c == '<' ? "expected '<<'" : "expected '>>'");
    t.k = c == '<' ? T_LBIN : T_RBIN;
    t.len = 2;
    break;
  case '#':
    if (strncmp(s + p, "#Ref<", 5) == 0 &&
        (t.len = dotted(s + p + 5, 2, 1 + BEAM__REF_MAX_WORDS)) > 0) {
      t.k = T_REF, t.len += 5; /* #Ref<0.W2.W1.W0> */
      break;
    }
    if (s[p + 1] != '{')
      return lex_err(p, "expected '#{'");
    t.k = T_MAP, t.len = 2;
    break;
  case '=':
    if (s[p + 1] != '>')
      return lex_err(p, "expected '=>'");
    t.k = T_ARROW, t.len = 2;
    break;
  case ':':
    if (s[p + 1] != '=')
      return lex_err(p, "expected ':='");
    t.k = T_ASSOC, t.len = 2;
    break;
  case '~':
    if (s[p + 1] == '\0' || !strchr("iufaslbt", s[p + 1]))
      return lex_err(p, "unknown hole (use ~i ~u ~f ~a ~s ~l ~b ~t)");
    t.k = T_HOLE, t.len = 2;
    break;
  case '\'':
  case '"': {
    size_t i = p + 1;
    while (s[i] != c) {
      uint32_t cp;
      int esc;
      if (s[i] == '\0')
        return lex_err(p, "unterminated quote");
      if (lit_char(s, &i, &cp, &esc) < 0)
        return lex_err(i, "bad escape or UTF-8 in quoted text");
    }
    t.k = c == '"' ? T_STR : T_QATOM;
    t.len = i + 1 - p;
    break;
  }
  default: {
    size_t i = p;
    if (c >= 'a' && c <= 'z') {
      while (is_ident(s[i]))
        i++;
      if (i - p > 255) /* ASCII: bytes are characters */
        return lex_err(p, "atom name over 255 characters");
      t.k = T_ATOM;
    } else if ((c >= 'A' && c <= 'Z') || c == '_') {
      while (is_ident(s[i]))
        i++;
      t.k = i == p + 1 && c == '_' ? T_ANY : T_VAR;
    } else if ((c >= '0' && c <= '9') ||
               (c == '-' && s[p + 1] >= '0' && s[p + 1] <= '9')) {
      i += c == '-';
      while (s[i] >= '0' && s[i] <= '9')
        i++;
      t.k = T_INT;
      if (s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
        for (i++; s[i] >= '0' && s[i] <= '9'; i++)
          ;
        if (s[i] == 'e' || s[i] == 'E') {
          size_t j = i + 1 + (s[i + 1] == '-' || s[i + 1] == '+');
          if (!(s[j] >= '0' && s[j] <= '9'))
            return lex_err(i, "bad float exponent");
          for (i = j; s[i] >= '0' && s[i] <= '9'; i++)
            ;
        }
        t.k = T_FLOAT;
      }
      if (is_ident(s[i]) || s[i] == '.')
        return lex_err(i, "bad number");
    } else {
      return lex_err(p, "unexpected character");
    }
    t.len = i - p;
  }
  }
  *pos = p + t.len;
  return t;
}

tok_t beam__lex(const char *s, size_t *pos) {
  return lex(s, pos);
}

static tok_t peek(const char *s, size_t pos) {
  return lex(s, &pos);
}

/* ---- Scan: validation ---- */

typedef struct scan {
  const char *s;
  size_t pos;
  int pattern;
  int depth;
  int in_key;
  size_t nargs;
  size_t errpos;
  const char *why;
  int nvars;
  struct {
    size_t pos, len;
  } vars[BEAM__PATTERN_MAX_VARS];
} scan_t;

static int fail(scan_t *sc, size_t pos, const char *why) {
  if (sc->why == NULL) {
    sc->why = why;
    sc->errpos = pos;
  }
  return -1;
}

static int scan_term(scan_t *sc);

static int scan_var(scan_t *sc, tok_t t) {
  if (!sc->pattern)
    return fail(sc, t.pos, "variables are only allowed in patterns");
  for (int i = 0; i < sc->nvars; i++)
    if (sc->vars[i].len == t.len &&
        memcmp(sc->s + sc->vars[i].pos, sc->s + t.pos, t.len) == 0)
      return 0; /* repeated: compares, consumes nothing */
  if (sc->in_key)
    return fail(sc, t.pos, "a map key cannot bind a new variable");
  if (sc->nvars == BEAM__PATTERN_MAX_VARS)
    return fail(sc, t.pos, "too many variables (at most 16)");
  sc->vars[sc->nvars].pos = t.pos;
  sc->vars[sc->nvars].len = t.len;
  sc->nvars++;
  sc->nargs++;
  return 0;
}

/* After an element: ',' (returns 1: more) or 'close' (returns 0). */
static int scan_sep(scan_t *sc, kind_t close, const char *why) {
  tok_t t = lex(sc->s, &sc->pos);
  if (t.k == T_COMMA)
    return 1;
  if (t.k == close)
    return 0;
  return fail(sc, t.pos, t.k == T_ERR ? t.why : why);
}

static int scan_seq(scan_t *sc, kind_t close, const char *why) {
  if (peek(sc->s, sc->pos).k == close) {
    lex(sc->s, &sc->pos);
    return 0;
  }
  for (;;) {
    if (scan_term(sc) < 0)
      return -1;
    int r = scan_sep(sc, close, why);
    if (r <= 0)
      return r;
  }
}

static int scan_list(scan_t *sc) {
  if (peek(sc->s, sc->pos).k == T_RBRACK) {
    lex(sc->s, &sc->pos);
    return 0;
  }
  for (;;) {
    if (scan_term(sc) < 0)
      return -1;
    tok_t t = lex(sc->s, &sc->pos);
    if (t.k == T_COMMA)
      continue;
    if (t.k == T_RBRACK)
      return 0;
    if (t.k != T_BAR)
      return fail(sc, t.pos, t.k == T_ERR ? t.why : "expected ',', '|' or ']'");
    if (scan_term(sc) < 0)
      return -1;
    t = lex(sc->s, &sc->pos);
    if (t.k != T_RBRACK)
      return fail(sc, t.pos, t.k == T_ERR ? t.why : "expected ']' after tail");
    return 0;
  }
}

static int scan_map(scan_t *sc) {
  if (peek(sc->s, sc->pos).k == T_RBRACE) {
    lex(sc->s, &sc->pos);
    return 0;
  }
  for (;;) {
    sc->in_key++;
    int r = scan_term(sc);
    sc->in_key--;
    if (r < 0)
      return -1;
    tok_t t = lex(sc->s, &sc->pos);
    kind_t want = sc->pattern ? T_ASSOC : T_ARROW;
    if (t.k != want)
      return fail(sc, t.pos,
                  t.k == T_ERR ? t.why
                  : sc->pattern ? "expected ':=' (map patterns use :=)"
                                : "expected '=>'");
    if (scan_term(sc) < 0)
      return -1;
    r = scan_sep(sc, T_RBRACE, "expected ',' or '}' in map");
    if (r <= 0)
      return r;
  }
}

static int scan_bin(scan_t *sc) {
  if (peek(sc->s, sc->pos).k == T_RBIN) {
    lex(sc->s, &sc->pos);
    return 0;
  }
  for (;;) {
    tok_t t = lex(sc->s, &sc->pos);
    if (t.k == T_INT) {
      const char *d = sc->s + t.pos;
      if (t.len > 3 || *d == '-' || atoi(d) > 255)
        return fail(sc, t.pos, "byte out of range 0..255");
    } else if (t.k != T_STR) {
      return fail(sc, t.pos,
                  t.k == T_ERR ? t.why
                               : "binary segments are bytes or \"strings\"");
    } else if (peek(sc->s, sc->pos).k == T_SLASH) {
      if (sc->pattern)
        return fail(sc, t.pos, "/utf8 is only allowed in beam_fmt");
      lex(sc->s, &sc->pos);
      t = lex(sc->s, &sc->pos);
      if (t.k != T_ATOM || t.len != 4 || memcmp(sc->s + t.pos, "utf8", 4) != 0)
        return fail(sc, t.pos, "only /utf8 may follow a string in a binary");
    }
    int r = scan_sep(sc, T_RBIN, "expected ',' or '>>'");
    if (r <= 0)
      return r;
  }
}

static BEAM_NOINLINE int scan_qatom(scan_t *sc, tok_t t) {
  size_t i = t.pos + 1, n = 0;
  while (i < t.pos + t.len - 1) {
    uint32_t cp;
    int esc;
    lit_char(sc->s, &i, &cp, &esc);
    if (cp == 0 || ++n > 255)
      return fail(sc, t.pos, "atom name too long or contains NUL");
  }
  return 0;
}

static BEAM_NOINLINE int scan_float(scan_t *sc, tok_t t) {
  if (t.len > MAX_FLOAT_LEN)
    return fail(sc, t.pos, "float literal too long");
  char b[MAX_FLOAT_LEN + 1];
  memcpy(b, sc->s + t.pos, t.len);
  b[t.len] = '\0';
  if (!isfinite(strtod(b, NULL)))
    return fail(sc, t.pos, "float literal out of range");
  return 0;
}

static BEAM_NOINLINE int scan_pid_ref(scan_t *sc, tok_t t) {
  uint32_t w[1 + BEAM__REF_MAX_WORDS];
  if (sc->pattern) /* match them with ~t */
    return fail(sc, t.pos, "pid and ref literals are only allowed in beam_fmt");
  int n = token_nums(sc->s + t.pos + (t.k == T_PID ? 1 : 5), w,
                     1 + BEAM__REF_MAX_WORDS);
  if (n < 0)
    return fail(sc, t.pos, "pid or ref number out of range (32 bits)");
  if (w[0] != 0)
    return fail(sc, t.pos, "only pids and refs of this node (<0.I.S>)");
  return 0;
}

static int scan_term(scan_t *sc) {
  tok_t t = lex(sc->s, &sc->pos);
  int r = 0;
  switch (t.k) {
  case T_ATOM:
  case T_STR:
    return 0;
  case T_QATOM:
    return scan_qatom(sc, t);
  case T_INT: {
    size_t digits = t.len - (sc->s[t.pos] == '-');
    if (sc->pattern && digits > MAX_INT_DIGITS)
      return fail(sc, t.pos, "integer literal too long for a pattern (use ~t)");
    return 0;
  }
  case T_FLOAT:
    return scan_float(sc, t);
  case T_PID:
  case T_REF:
    return scan_pid_ref(sc, t);
  case T_VAR:
    return scan_var(sc, t);
  case T_ANY:
    if (!sc->pattern)
      return fail(sc, t.pos, "'_' is only allowed in patterns");
    if (sc->in_key)
      return fail(sc, t.pos, "'_' cannot be a map key");
    return 0;
  case T_HOLE:
    sc->nargs += sc->s[t.pos + 1] == 'b' ? 2 : 1;
    return 0;
  case T_LBRACE:
  case T_LBRACK:
  case T_MAP:
  case T_LBIN:
    if (++sc->depth > BEAM__PATTERN_MAX_DEPTH)
      return fail(sc, t.pos, "nesting too deep (at most 32)");
    if (t.k == T_LBRACE)
      r = scan_seq(sc, T_RBRACE, "expected ',' or '}'");
    else if (t.k == T_LBRACK)
      r = scan_list(sc);
    else if (t.k == T_MAP)
      r = scan_map(sc);
    else
      r = scan_bin(sc);
    sc->depth--;
    return r;
  case T_ERR:
    return fail(sc, t.pos, t.why);
  case T_END:
    return fail(sc, t.pos, "unexpected end of text");
  default:
    return fail(sc, t.pos, "expected a term");
  }
}

static int scan_text(const char *text, int pattern, size_t *nargs,
                     size_t *errpos, const char **why) {
  scan_t sc;
  memset(&sc, 0, offsetof(scan_t, vars));
  sc.s = text;
  sc.pattern = pattern;
  if (scan_term(&sc) == 0) {
    tok_t t = lex(text, &sc.pos);
    if (t.k == T_END) {
      if (nargs)
        *nargs = sc.nargs;
      return 0;
    }
    fail(&sc, t.pos, t.k == T_ERR ? t.why : "unexpected text after the term");
  }
  if (errpos)
    *errpos = sc.errpos;
  if (why)
    *why = sc.why;
  return BEAM_EPATTERN;
}

int beam_syntax_check(const char *text, int is_pattern, size_t *pos,
                      const char **why) {
  if (text == NULL)
    return BEAM_EINVAL;
  return scan_text(text, is_pattern, pos, pos, why);
}

int beam__pattern_scan(const char *pat, size_t *nargs) {
  if (pat == NULL)
    return BEAM_EINVAL;
  return scan_text(pat, 1, nargs, NULL, NULL);
}

/* ---- Build: beam_fmt ---- */

typedef struct build {
  const char *s;
  size_t pos;
  beam__args_t *args;
} build_t;

/* Elements before the matching 'close' of a sequence that starts at
** 'pos' (just after its opening token). Valid text only. */
static size_t count_elems(const char *s, size_t pos, kind_t close) {
  if (peek(s, pos).k == close)
    return 0;
  size_t n = 1;
  int depth = 0;
  for (;;) {
    tok_t t = lex(s, &pos);
    switch (t.k) {
    case T_LBRACE: case T_LBRACK: case T_MAP: case T_LBIN:
      depth++;
      break;
    case T_RBRACE: case T_RBRACK: case T_RBIN:
      if (depth-- == 0)
        return n;
      break;
    case T_COMMA:
      n += depth == 0;
      break;
    case T_END:
    case T_ERR:
      return n;
    default:
      break;
    }
  }
}

static beam_term_t build_term(build_t *b);

static beam_term_t build_int(const char *s, size_t len) {
  int neg = *s == '-';
  if (len - (size_t) neg <= 18) {
    int64_t v = 0;
    for (size_t i = (size_t) neg; i < len; i++)
      v = v * 10 + (s[i] - '0');
    return beam_int(neg ? -v : v);
  }
  char *tmp = beam__malloc(len + 1);
  if (tmp == NULL)
    return beam_error_term(BEAM_ENOMEM);
  memcpy(tmp, s, len);
  tmp[len] = '\0';
  beam_term_t r = beam_int_from_str(tmp);
  beam__free(tmp);
  return r;
}

static BEAM_NOINLINE beam_term_t build_qatom(const char *s, tok_t t) {
  unsigned char name[4 * 255 + 4];
  size_t n = 0, i = t.pos + 1;
  while (i < t.pos + t.len - 1) {
    uint32_t cp;
    int esc;
    lit_char(s, &i, &cp, &esc);
    n += beam__utf8_put(cp, name + n); /* scan bounded it to 255 chars */
  }
  return beam_atom_len((const char *) name, n);
}

static beam_term_t build_charlist(const char *s, tok_t t) {
  size_t n = 0, i = t.pos + 1, end = t.pos + t.len - 1;
  uint32_t cp;
  int esc;
  while (i < end && lit_char(s, &i, &cp, &esc) == 0)
    n++;
  if (n == 0)
    return beam_nil();
  beam__heap_t *h = beam__heap_current();
  uint64_t *c = beam__heap_alloc(h, 2 * n);
  if (c == NULL)
    return beam_error_term(BEAM_ENOMEM);
  i = t.pos + 1;
  for (size_t k = 0; k < n; k++) {
    lit_char(s, &i, &cp, &esc);
    c[2 * k] = ((uint64_t) cp << 3) | BEAM__TAG_SMALL;
    c[2 * k + 1] = k + 1 < n ? ((uint64_t) (uintptr_t) (c + 2 * k + 2) |
                                BEAM__TAG_LIST)
                             : BEAM__NIL_RAW;
  }
  return beam__mk((uint64_t) (uintptr_t) c | BEAM__TAG_LIST);
}

/* Bytes of a string segment in a binary (see the design comment); writes
** them to 'out' when not NULL. A "..."/utf8 segment ('utf8') encodes
** escaped characters as UTF-8 too, as Erlang does. */
static size_t bin_str(const char *s, tok_t t, unsigned char *out, int utf8) {
  size_t n = 0, i = t.pos + 1, end = t.pos + t.len - 1;
  unsigned char u[4];
  while (i < end) {
    uint32_t cp;
    int esc;
    lit_char(s, &i, &cp, &esc);
    size_t k = esc && cp <= 255 && !utf8 ? (u[0] = (unsigned char) cp, 1)
                                          : beam__utf8_put(cp, u);
    if (out)
      memcpy(out + n, u, k);
    n += k;
  }
  return n;
}

/* After a string in a binary: 1 (and consume it) if "/utf8" follows. */
static int utf8_suffix(const char *s, size_t *pos) {
  if (peek(s, *pos).k != T_SLASH)
    return 0;
  lex(s, pos);
  lex(s, pos); /* utf8, checked by the scan */
  return 1;
}

static beam_term_t build_bin(build_t *b) {
  size_t pos = b->pos, len = 0;
  for (;;) { /* size pass */
    tok_t t = lex(b->s, &pos);
    if (t.k == T_INT)
      len++;
    else if (t.k == T_STR)
      len += bin_str(b->s, t, NULL, utf8_suffix(b->s, &pos));
    else if (t.k == T_RBIN)
      break;
  }
  unsigned char *d;
  beam_term_t r = beam__binary_alloc(len, &d);
  len = 0;
  for (;;) { /* fill pass, also moves b->pos past '>>' */
    tok_t t = lex(b->s, &b->pos);
    if (t.k == T_RBIN)
      break;
    if (beam_is_error(r))
      continue;
    if (t.k == T_INT)
      d[len++] = (unsigned char) atoi(b->s + t.pos);
    else if (t.k == T_STR)
      len += bin_str(b->s, t, d + len, utf8_suffix(b->s, &b->pos));
  }
  return r;
}

/* A hole's term; a bad argument gives an error term (and the first
** problem stays in b->args->err). */
static beam_term_t build_hole(build_t *b, char h) {
  beam__args_t *a = b->args;
  beam_term_t t;
  switch (h) {
  case 'i':
    t = beam_int(beam__args_i64(a));
    break;
  case 'u':
    t = beam_uint(beam__args_u64(a));
    break;
  case 'f':
    t = beam_float(beam__args_f64(a));
    break;
  case 'a':
  case 's':
  case 'l': {
    const char *str = beam__args_str(a);
    t = str == NULL ? beam_error_term(BEAM_EINVAL)
        : h == 'a'  ? beam_atom(str)
        : h == 's'  ? beam_string(str)
                    : beam_charlist(str);
    break;
  }
  case 'b': {
    const void *p = beam__args_ptr(a);
    size_t n = beam__args_size(a);
    t = beam_binary(p, n);
    break;
  }
  default: { /* 't' */
    t = beam__args_term(a);
    int bad = beam__term_bad(t);
    if (bad != 0)
      t = beam_error_term(bad);
    break;
  }
  }
  return a->err != 0 ? beam_error_term(a->err) : t;
}

static beam_term_t build_tuple(build_t *b) {
  size_t n = count_elems(b->s, b->pos, T_RBRACE);
  beam__heap_t *h = beam__heap_current();
  uint64_t *p = beam__heap_alloc(h, 1 + n);
  if (p == NULL)
    return beam_error_term(BEAM_ENOMEM);
  p[0] = BEAM__HDR(BEAM__SUB_TUPLE, n);
  if (n == 0)
    lex(b->s, &b->pos);
  for (size_t i = 0; i < n; i++) {
    beam_term_t e = build_term(b);
    if (beam_is_error(e))
      return e;
    p[1 + i] = e.raw;
    lex(b->s, &b->pos); /* ',' or '}' */
  }
  return beam__mk((uint64_t) (uintptr_t) p);
}

static beam_term_t build_list(build_t *b) {
  beam_term_t result = beam_nil();
  uint64_t *tail = &result.raw;
  if (peek(b->s, b->pos).k == T_RBRACK) {
    lex(b->s, &b->pos);
    return result;
  }
  beam__heap_t *h = beam__heap_current();
  for (;;) {
    uint64_t *c = beam__heap_alloc(h, 2);
    if (c == NULL)
      return beam_error_term(BEAM_ENOMEM);
    c[1] = BEAM__NIL_RAW;
    *tail = (uint64_t) (uintptr_t) c | BEAM__TAG_LIST;
    tail = &c[1];
    beam_term_t e = build_term(b);
    if (beam_is_error(e))
      return e;
    c[0] = e.raw;
    tok_t t = lex(b->s, &b->pos);
    if (t.k == T_RBRACK)
      return result;
    if (t.k == T_BAR) {
      e = build_term(b);
      if (beam_is_error(e))
        return e;
      *tail = e.raw;
      lex(b->s, &b->pos); /* ']' */
      return result;
    }
  }
}

static beam_term_t build_map(build_t *b) {
  beam_term_t m = beam_map_new();
  if (peek(b->s, b->pos).k == T_RBRACE) {
    lex(b->s, &b->pos);
    return m;
  }
  for (;;) {
    beam_term_t k = build_term(b);
    lex(b->s, &b->pos); /* '=>' */
    beam_term_t v = build_term(b);
    m = beam_map_put(m, k, v); /* later duplicates win, as in Erlang */
    if (beam_is_error(m))
      return m;
    if (lex(b->s, &b->pos).k == T_RBRACE)
      return m;
  }
}

static BEAM_NOINLINE beam_term_t build_float(const char *s, size_t len) {
  char tmp[MAX_FLOAT_LEN + 1];
  memcpy(tmp, s, len);
  tmp[len] = '\0';
  return beam_float(strtod(tmp, NULL));
}

/* A T_PID or T_REF token (scanned: node 0, numbers fit) as a term, by
** the ETF mapping of term/term.h, so <0.I.S> reads back what prints. */
static BEAM_NOINLINE beam_term_t build_pid_ref(const char *s, tok_t t) {
  uint32_t w[1 + BEAM__REF_MAX_WORDS];
  if (t.k == T_PID) {
    token_nums(s + t.pos + 1, w, 3);
    beam__pid_view_t v = {beam__am_nonode, w[1], w[2], 0};
    return beam__pid_from_view(&v);
  }
  int n = token_nums(s + t.pos + 5, w, 1 + BEAM__REF_MAX_WORDS);
  beam__ref_view_t v;
  v.node = beam__am_nonode;
  v.creation = 0;
  v.n = (unsigned) (n - 1);
  for (int i = 1; i < n; i++) /* written most significant first */
    v.w[n - 1 - i] = w[i];
  return beam__ref_from_view(&v);
}

static beam_term_t build_term(build_t *b) {
  tok_t t = lex(b->s, &b->pos);
  const char *s = b->s + t.pos;
  switch (t.k) {
  case T_PID:
  case T_REF:
    return build_pid_ref(b->s, t);
  case T_ATOM:
    return beam_atom_len(s, t.len);
  case T_QATOM:
    return build_qatom(b->s, t);
  case T_INT:
    return build_int(s, t.len);
  case T_FLOAT:
    return build_float(s, t.len);
  case T_STR:
    return build_charlist(b->s, t);
  case T_HOLE:
    return build_hole(b, s[1]);
  case T_LBRACE:
    return build_tuple(b);
  case T_LBRACK:
    return build_list(b);
  case T_MAP:
    return build_map(b);
  case T_LBIN:
    return build_bin(b);
  default:
    return beam_error_term(BEAM_EPATTERN); /* unreachable after a scan */
  }
}

/* beam_fmt behind both conventions: 'a' holds the holes' values. */
static beam_term_t fmt_args(const char *fmt, beam__args_t *a) {
  if (fmt == NULL)
    return beam_error_term(BEAM_EINVAL);
  size_t nargs;
  if (scan_text(fmt, 0, &nargs, NULL, NULL) < 0)
    return beam_error_term(BEAM_EPATTERN);
  if (a->checked && a->left != nargs)
    return beam_error_term(BEAM_EBADARG); /* before anything is built */
  build_t b = {fmt, 0, a};
  beam_term_t t = build_term(&b);
  return a->err != 0 ? beam_error_term(a->err) : t;
}

beam_term_t beam_vfmt(const char *fmt, va_list ap) {
  va_list aq;
  va_copy(aq, ap);
  beam__args_t a;
  beam__args_start(&a, &aq, SIZE_MAX);
  beam_term_t t = fmt_args(fmt, &a);
  va_end(aq);
  return t;
}

beam_term_t(beam_fmt)(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  beam_term_t t = beam_vfmt(fmt, ap);
  va_end(ap);
  return t;
}

beam_term_t beam_fmt_checked(size_t n, ...) {
  va_list ap;
  va_start(ap, n);
  beam__args_t a;
  beam__args_start(&a, &ap, n);
  const char *fmt = n > 0 ? beam__args_str(&a) : NULL;
  beam_term_t t = a.err != 0 ? beam_error_term(a.err) : fmt_args(fmt, &a);
  va_end(ap);
  return t;
}

/* ---- Walk: beam_match ---- */

typedef struct binding {
  const char *name;
  uint32_t len;
  uint32_t bound; /* 0 if first seen while skipping (the match failed) */
  beam_term_t *out;
  beam_term_t val;
} binding_t;

typedef struct walk {
  const char *s;
  size_t pos;
  beam__args_t *args; /* its 'err': a bad argument was seen */
  int nb;
  binding_t b[BEAM__PATTERN_MAX_VARS];
} walk_t;

static int walk_term(walk_t *w, const beam_term_t *t);

int beam__float_eq(double x, double y) {
  return x == y && signbit(x) == signbit(y);
}

static int eq_atom_text(beam_term_t t, const char *s, size_t len) {
  const char *name = beam_atom_name(t);
  return name != NULL && strlen(name) == len && memcmp(name, s, len) == 0;
}

static BEAM_NOINLINE int eq_qatom(beam_term_t t, const char *s, tok_t tk) {
  const char *name = beam_atom_name(t);
  if (name == NULL)
    return 0;
  size_t i = tk.pos + 1, end = tk.pos + tk.len - 1, n = 0;
  while (i < end) {
    uint32_t cp;
    int esc;
    unsigned char u[4];
    lit_char(s, &i, &cp, &esc);
    size_t k = beam__utf8_put(cp, u);
    for (size_t j = 0; j < k; j++, n++)
      if ((unsigned char) name[n] != u[j]) /* name's NUL stops a mismatch */
        return 0;
  }
  return name[n] == '\0';
}

/* Integer literal (valid, <= 300 digits) against term 't'. Out of line:
** its 128-byte buffer must not sit in every recursive frame. */
static BEAM_NOINLINE int eq_int_text(beam_term_t t, const char *s, size_t len) {
  int neg = *s == '-';
  s += neg, len -= (size_t) neg;
  uint64_t limbs[BIG_LIMBS] = {0};
  size_t n = 0;
  for (size_t i = 0; i < len;) {
    size_t k = BEAM_MIN(len - i, (size_t) 19);
    uint64_t chunk = 0, mul = 1;
    for (size_t j = 0; j < k; j++, i++) {
      chunk = chunk * 10 + (uint64_t) (s[i] - '0');
      mul *= 10;
    }
    unsigned __int128 carry = chunk; /* limbs = limbs * mul + chunk */
    for (size_t j = 0; j < n; j++) {
      unsigned __int128 v = (unsigned __int128) limbs[j] * mul + carry;
      limbs[j] = (uint64_t) v;
      carry = v >> 64;
    }
    if (carry && n < BIG_LIMBS)
      limbs[n++] = (uint64_t) carry;
  }
  while (n > 0 && limbs[n - 1] == 0)
    n--;
  if (beam__tag(t) == BEAM__TAG_SMALL) {
    int64_t v = (int64_t) t.raw >> 3;
    if (n == 0)
      return v == 0;
    if (n > 1 || (v < 0) != neg)
      return 0;
    uint64_t mag = v < 0 ? -(uint64_t) v : (uint64_t) v;
    return mag == limbs[0];
  }
  if (!beam__is_box_of(t, BEAM__SUB_BIGINT))
    return 0;
  return beam__big_neg(t) == neg && beam__big_nlimbs(t) == n &&
         memcmp(beam__big_limbs(t), limbs, n * 8) == 0;
}

static BEAM_NOINLINE int eq_float_text(beam_term_t t, const char *s,
                                       size_t len) {
  if (!beam__is_box_of(t, BEAM__SUB_FLOAT))
    return 0;
  char tmp[MAX_FLOAT_LEN + 1];
  memcpy(tmp, s, len);
  tmp[len] = '\0';
  return beam__float_eq(beam__float_val(t), strtod(tmp, NULL));
}

static int eq_str_list(beam_term_t l, const char *s, tok_t tk) {
  size_t i = tk.pos + 1, end = tk.pos + tk.len - 1;
  while (i < end) {
    uint32_t cp;
    int esc;
    lit_char(s, &i, &cp, &esc);
    if (beam__tag(l) != BEAM__TAG_LIST)
      return 0;
    const uint64_t *c = beam__list_ptr(l);
    if (c[0] != (((uint64_t) cp << 3) | BEAM__TAG_SMALL))
      return 0;
    l = beam__mk(c[1]);
  }
  return l.raw == BEAM__NIL_RAW;
}

int beam__eq_utf8_list(beam_term_t l, const char *s) {
  const unsigned char *u = (const unsigned char *) s;
  size_t len = strlen(s), i = 0;
  while (i < len) {
    uint32_t cp;
    if (beam__utf8_next(u, len, &i, &cp) < 0 || beam__tag(l) != BEAM__TAG_LIST)
      return 0;
    const uint64_t *c = beam__list_ptr(l);
    if (c[0] != (((uint64_t) cp << 3) | BEAM__TAG_SMALL))
      return 0;
    l = beam__mk(c[1]);
  }
  return l.raw == BEAM__NIL_RAW;
}

int beam__eq_bytes(beam_term_t t, const void *p, size_t n) {
  size_t len;
  const void *d = beam_binary_data(t, &len);
  return d != NULL && len == n && (n == 0 || memcmp(d, p, n) == 0);
}

/* Walks a binary literal; compares with 't' when not NULL. */
static BEAM_NOINLINE int walk_bin(walk_t *w, const beam_term_t *t) {
  size_t len = 0, at = 0;
  const unsigned char *d = t ? beam_binary_data(*t, &len) : NULL;
  int ok = d != NULL;
  for (;;) {
    tok_t k = lex(w->s, &w->pos);
    if (k.k == T_RBIN)
      return ok && at == len;
    if (k.k == T_INT) {
      ok = ok && at < len && d[at] == (unsigned) atoi(w->s + k.pos);
      at++;
    } else if (k.k == T_STR && ok) {
      size_t i = k.pos + 1, end = k.pos + k.len - 1;
      while (i < end && ok) {
        uint32_t cp;
        int esc;
        unsigned char u[4];
        lit_char(w->s, &i, &cp, &esc);
        size_t m = esc && cp <= 255 ? (u[0] = (unsigned char) cp, 1)
                                    : beam__utf8_put(cp, u);
        ok = at + m <= len && memcmp(d + at, u, m) == 0;
        at += m;
      }
    }
  }
}

static BEAM_NOINLINE int walk_hole(walk_t *w, char h, const beam_term_t *t) {
  beam__parg_t a;
  if (beam__parg_take(h, w->args, &a) < 0)
    return 0;
  return t && beam__hole_eq(h, &a, *t);
}

static BEAM_NOINLINE int walk_var(walk_t *w, tok_t k, const beam_term_t *t) {
  const char *name = w->s + k.pos;
  for (int i = 0; i < w->nb; i++) {
    binding_t *b = &w->b[i];
    if (b->len == k.len && memcmp(b->name, name, k.len) == 0)
      return t && b->bound && beam_equal(*t, b->val);
  }
  /* First occurrence: the scan guaranteed room and that it is not a key. */
  binding_t *b = &w->b[w->nb++];
  b->name = name;
  b->len = (uint32_t) k.len;
  b->out = beam__args_out(w->args);
  b->bound = t != NULL;
  if (t)
    b->val = *t;
  return t != NULL;
}

static BEAM_NOINLINE int walk_tuple(walk_t *w, const beam_term_t *t) {
  int ok = t && beam_is_tuple(*t);
  size_t n = ok ? beam_tuple_size(*t) : 0, i = 0;
  if (peek(w->s, w->pos).k == T_RBRACE) {
    lex(w->s, &w->pos);
    return ok && n == 0;
  }
  for (;; i++) {
    beam_term_t e;
    ok = ok && i < n;
    if (ok)
      e = beam__mk(beam__box_ptr(*t)[1 + i]);
    ok = walk_term(w, ok ? &e : NULL) && ok;
    if (lex(w->s, &w->pos).k == T_RBRACE)
      return ok && i + 1 == n;
  }
}

static BEAM_NOINLINE int walk_list(walk_t *w, const beam_term_t *t) {
  int ok = t != NULL;
  beam_term_t l = ok ? *t : beam_nil();
  if (peek(w->s, w->pos).k == T_RBRACK) {
    lex(w->s, &w->pos);
    return ok && l.raw == BEAM__NIL_RAW;
  }
  for (;;) {
    beam_term_t h;
    ok = ok && beam__tag(l) == BEAM__TAG_LIST;
    if (ok) {
      h = beam__mk(beam__list_ptr(l)[0]);
      l = beam__mk(beam__list_ptr(l)[1]);
    }
    ok = walk_term(w, ok ? &h : NULL) && ok;
    tok_t k = lex(w->s, &w->pos);
    if (k.k == T_RBRACK)
      return ok && l.raw == BEAM__NIL_RAW;
    if (k.k == T_BAR) {
      ok = walk_term(w, ok ? &l : NULL) && ok;
      lex(w->s, &w->pos); /* ']' */
      return ok;
    }
  }
}

/* The value for the key pattern at w->pos in map 'm', found by matching
** the key text against each key with a copy of the arguments. Leaves
** w->pos and w->args unchanged. */
static int map_lookup(walk_t *w, beam_term_t m, beam_term_t *value) {
  size_t start = w->pos;
  beam__args_t *saved = w->args;
  int found = 0;
  beam_map_iter_t it;
  beam_term_t k, v;
  beam_map_iter_init(&it, m);
  while (!found && beam_map_next(&it, &k, &v) == 1) {
    beam__args_t copy;
    beam__args_copy(&copy, saved);
    w->args = &copy;
    w->pos = start;
    if (walk_term(w, &k)) {
      *value = v;
      found = 1;
    }
    beam__args_end(&copy);
  }
  w->args = saved;
  w->pos = start;
  return found;
}

static BEAM_NOINLINE int walk_map(walk_t *w, const beam_term_t *t) {
  int ok = t && beam_is_map(*t);
  if (peek(w->s, w->pos).k == T_RBRACE) {
    lex(w->s, &w->pos);
    return ok;
  }
  for (;;) {
    beam_term_t v;
    ok = ok && map_lookup(w, *t, &v);
    walk_term(w, NULL); /* the key again, consuming its arguments */
    lex(w->s, &w->pos); /* ':=' */
    ok = walk_term(w, ok ? &v : NULL) && ok;
    if (lex(w->s, &w->pos).k == T_RBRACE)
      return ok;
  }
}

/* Walk one term of the pattern, consuming its text and arguments; compare
** with '*t' unless 't' is NULL (then only consume, and return 0). */
static int walk_term(walk_t *w, const beam_term_t *t) {
  tok_t k = lex(w->s, &w->pos);
  const char *s = w->s + k.pos;
  switch (k.k) {
  case T_ANY:
    return t != NULL;
  case T_VAR:
    return walk_var(w, k, t);
  case T_HOLE:
    return walk_hole(w, s[1], t);
  case T_ATOM:
    return t && eq_atom_text(*t, s, k.len);
  case T_QATOM:
    return t && eq_qatom(*t, w->s, k);
  case T_INT:
    return t && eq_int_text(*t, s, k.len);
  case T_FLOAT:
    return t && eq_float_text(*t, s, k.len);
  case T_STR:
    return t && eq_str_list(*t, w->s, k);
  case T_LBIN:
    return walk_bin(w, t);
  case T_LBRACE:
    return walk_tuple(w, t);
  case T_LBRACK:
    return walk_list(w, t);
  case T_MAP:
    return walk_map(w, t);
  default:
    return 0; /* unreachable after a scan */
  }
}

int beam__pattern_match(beam_term_t t, const char *pat, beam__args_t *args) {
  walk_t w;
  w.s = pat;
  w.pos = 0;
  w.args = args;
  w.nb = 0;
  int ok = walk_term(&w, t.raw != 0 ? &t : NULL);
  if (args->err != 0)
    return args->err;
  if (!ok)
    return 0;
  for (int i = 0; i < w.nb; i++)
    *w.b[i].out = w.b[i].val;
  return 1;
}

/* beam_match behind both conventions. Every argument is taken (and, in
** checked mode, counted) before the term is looked at. */
static int match_args(beam_term_t t, const char *pattern, beam__args_t *a) {
  if (pattern == NULL)
    return BEAM_EINVAL;
  int err;
  const beam__pat_t *pat = beam__pat_get(pattern, &err);
  if (err < 0)
    return err;
  beam__parg_t args[16];
  if (pat && beam__pat_nargs(pat) <= 16) { /* compiled (pattern.c) */
    int rc = beam__pat_load(pat, a, args, 0, NULL);
    if (rc == 0)
      rc = beam__args_done(a);
    return rc < 0 ? rc : beam__pat_match(pat, t, args);
  }
  size_t nargs;
  int rc = beam__pattern_scan(pattern, &nargs);
  if (rc < 0)
    return rc;
  if (a->checked && a->left != nargs)
    return BEAM_EBADARG;
  return beam__pattern_match(t, pattern, a);
}

int beam_vmatch(beam_term_t t, const char *pattern, va_list *ap) {
  if (ap == NULL)
    return BEAM_EINVAL;
  beam__args_t a;
  beam__args_start(&a, ap, SIZE_MAX);
  return match_args(t, pattern, &a);
}

int(beam_match)(beam_term_t t, const char *pattern, ...) {
  va_list ap;
  va_start(ap, pattern);
  int rc = beam_vmatch(t, pattern, &ap);
  va_end(ap);
  return rc;
}

int beam_match_checked(beam_term_t t, size_t n, ...) {
  va_list ap;
  va_start(ap, n);
  beam__args_t a;
  beam__args_start(&a, &ap, n);
  const char *pattern = n > 0 ? beam__args_str(&a) : NULL;
  int rc = a.err != 0 ? a.err : match_args(t, pattern, &a);
  va_end(ap);
  return rc;
}

/* ---- Walking a pattern's arguments without matching ---- */

/* The arguments of a text in order: each call gives the next one's type
** ('v' for a variable's first occurrence, else the hole's letter), 0 at
** the end. Repeated variables take no argument (Erlang's rule). */
typedef struct argscan {
  const char *text;
  size_t pos;
  int nseen;
  struct {
    size_t pos, len;
  } seen[BEAM__PATTERN_MAX_VARS];
} argscan_t;

static char next_arg(argscan_t *a) {
  for (;;) {
    tok_t t = lex(a->text, &a->pos);
    if (t.k == T_END || t.k == T_ERR)
      return 0;
    if (t.k == T_HOLE)
      return a->text[t.pos + 1];
    if (t.k != T_VAR)
      continue;
    bool repeat = false;
    for (int i = 0; i < a->nseen && !repeat; i++)
      repeat = a->seen[i].len == t.len &&
               memcmp(a->text + a->seen[i].pos, a->text + t.pos, t.len) == 0;
    if (!repeat && a->nseen < BEAM__PATTERN_MAX_VARS) {
      a->seen[a->nseen].pos = t.pos;
      a->seen[a->nseen].len = t.len;
      a->nseen++;
      return 'v';
    }
  }
}

/* Consume 'pat''s varargs in order, without binding anything, and report
** whether one of its ~t holes is the local ref with id 'ref_id'. Used by
** beam_receive to validate every clause before it looks at a message, and
** for the ref-receive optimisation. */
int beam__pattern_args(const char *pat, beam__args_t *args, uint64_t ref_id,
                       bool *has_ref) {
  size_t nargs;
  int rc = beam__pattern_scan(pat, &nargs);
  if (rc < 0)
    return rc;
  *has_ref = false;
  argscan_t scan = {.text = pat};
  for (char type; (type = next_arg(&scan)) != 0;) {
    beam__parg_t a;
    (void) beam__parg_take(type, args, &a);
    if (type == 't' && ref_id != 0 && beam__ref_id(a.t) == ref_id)
      *has_ref = true;
  }
  return args->err;
}

size_t beam__text_arg_types(const char *text, char *types, size_t max) {
  argscan_t scan = {.text = text};
  size_t n = 0;
  for (char type; (type = next_arg(&scan)) != 0; n++)
    if (n < max)
      types[n] = type;
  return n;
}
