/* SPDX-License-Identifier: MIT */
/*
** cbeam-term: External Term Format on the command line.
**
**   cbeam-term decode [--safe] [--max-depth N] < bytes   prints the term
**   cbeam-term encode [--compressed[=LEVEL]] [--utf8-atoms] < text > bytes
**
** decode reads ETF bytes (as written by erl's term_to_binary) and prints
** the term in Erlang syntax, in full, followed by a newline. encode reads
** one term in Erlang syntax (beam_fmt's grammar without '~' holes, plus
** local pids <0.I.S> and refs #Ref<0.A.B.C>; a final full stop optional)
** and writes its ETF bytes, the same bytes erl 25's term_to_binary gives.
** So 'cbeam-term decode | cbeam-term encode' gives back the input for any
** term of the local node.
**
** Exit codes: 0 success, 1 bad input (the message names the error and,
** for text, the byte offset), 2 bad usage, 3 I/O or memory failure.
** Uses only the public API (<cbeam.h>).
*/
#include <cbeam.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: cbeam-term decode [--safe] [--max-depth N]  < etf-bytes\n"
    "       cbeam-term encode [--compressed[=LEVEL]] [--utf8-atoms]  < "
    "term-text\n";

/* All of stdin in a malloc()ed block (NUL-terminated for text). */
static unsigned char *read_all(FILE *f, size_t *len) {
  size_t cap = 1 << 16, n = 0;
  unsigned char *buf = malloc(cap);
  while (buf != NULL) {
    n += fread(buf + n, 1, cap - n - 1, f);
    if (ferror(f)) {
      free(buf);
      return NULL;
    }
    if (feof(f))
      break;
    if (n + 1 == cap) {
      unsigned char *b = realloc(buf, cap *= 2);
      if (b == NULL)
        free(buf);
      buf = b;
    }
  }
  if (buf != NULL) {
    buf[n] = '\0';
    *len = n;
  }
  return buf;
}

/* Print 't' in full: beam_print bounds its work by the buffer size, so
** grow the buffer until the text fits. */
static int print_full(beam_term_t t) {
  size_t size = 1 << 16;
  for (;;) {
    char *buf = malloc(size);
    if (buf == NULL)
      return -1;
    size_t n = beam_print(buf, size, t);
    if (n < size) {
      int ok = fwrite(buf, 1, n, stdout) == n && fputc('\n', stdout) != EOF;
      free(buf);
      return ok ? 0 : -1;
    }
    free(buf);
    size = n + n / 2 + 1;
  }
}

static int fail_term(const char *what, int err) {
  fprintf(stderr, "cbeam-term: %s: %s (%s)\n", what, beam_strerror(err),
          beam_err_name(err));
  return err == BEAM_ENOMEM ? 3 : 1;
}

static int do_decode(int argc, char **argv) {
  beam_etf_opts_t o = {0};
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--safe") == 0) {
      o.flags |= BEAM_ETF_SAFE;
    } else if (strcmp(argv[i], "--max-depth") == 0 && i + 1 < argc) {
      char *end;
      o.max_depth = strtoul(argv[++i], &end, 10);
      if (*end != '\0' || o.max_depth == 0) {
        fputs(usage, stderr);
        return 2;
      }
    } else {
      fputs(usage, stderr);
      return 2;
    }
  }
  size_t len;
  unsigned char *data = read_all(stdin, &len);
  if (data == NULL) {
    fprintf(stderr, "cbeam-term: reading stdin: %s\n", strerror(errno));
    return 3;
  }
  beam_term_t t = beam_etf_decode(data, len, &o, NULL);
  free(data);
  if (beam_is_error(t))
    return fail_term("decode", beam_term_error(t));
  if (print_full(t) < 0) {
    fprintf(stderr, "cbeam-term: writing stdout failed\n");
    return 3;
  }
  return 0;
}

static int do_encode(int argc, char **argv) {
  beam_etf_opts_t o = {0};
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--compressed") == 0) {
      o.flags |= BEAM_ETF_COMPRESSED;
    } else if (strncmp(argv[i], "--compressed=", 13) == 0) {
      char *end;
      long level = strtol(argv[i] + 13, &end, 10);
      if (*end != '\0' || level < 1 || level > 9) {
        fputs(usage, stderr);
        return 2;
      }
      o.flags |= BEAM_ETF_COMPRESSED;
      o.level = (int) level;
    } else if (strcmp(argv[i], "--utf8-atoms") == 0) {
      o.flags |= BEAM_ETF_UTF8_ATOMS;
    } else {
      fputs(usage, stderr);
      return 2;
    }
  }
  size_t len;
  char *text = (char *) read_all(stdin, &len);
  if (text == NULL) {
    fprintf(stderr, "cbeam-term: reading stdin: %s\n", strerror(errno));
    return 3;
  }
  if (strlen(text) != len) {
    fprintf(stderr,
            "cbeam-term: encode: NUL byte in the input at offset "
            "%zu\n",
            strlen(text));
    free(text);
    return 1;
  }
  /* An optional final full stop, then whitespace. */
  while (len > 0 && strchr(" \t\r\n", text[len - 1]))
    text[--len] = '\0';
  if (len > 0 && text[len - 1] == '.')
    text[--len] = '\0';
  size_t pos = 0;
  const char *why = NULL;
  int rc = beam_syntax_check(text, 0, &pos, &why);
  if (rc == 0 && pos > 0) {
    rc = BEAM_EPATTERN;
    why = "'~' holes take C arguments and are not allowed here";
    pos = (size_t) (strchr(text, '~') - text);
  }
  if (rc < 0) {
    fprintf(stderr, "cbeam-term: encode: syntax error at offset %zu: %s\n", pos,
            why ? why : beam_strerror(rc));
    free(text);
    return 1;
  }
  beam_term_t t = beam_fmt(text);
  free(text);
  if (beam_is_error(t))
    return fail_term("encode", beam_term_error(t));
  void *out;
  size_t n;
  rc = beam_etf_encode_alloc(t, &o, &out, &n);
  if (rc < 0)
    return fail_term("encode", rc);
  int ok = fwrite(out, 1, n, stdout) == n && fflush(stdout) == 0;
  free(out);
  if (!ok) {
    fprintf(stderr, "cbeam-term: writing stdout failed\n");
    return 3;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "decode") == 0)
    return do_decode(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "encode") == 0)
    return do_encode(argc - 2, argv + 2);
  if (argc >= 2 &&
      (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
    fputs(usage, stdout);
    return 0;
  }
  fputs(usage, stderr);
  return 2;
}
