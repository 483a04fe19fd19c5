/* SPDX-License-Identifier: MIT */
/*
** cbeam/args.h: checked arguments for beam_fmt, beam_match and
** beam_receive (included by term.h; nothing here is called directly).
**
** Their holes and variables take C values through '...', where C checks
** nothing: an 'int' given to ~i, a term given where '&var' belongs, or a
** missing argument reads garbage. So in C11 and later each of them is a
** macro that wraps every argument in a beam_arg_t saying its C type
** (chosen by _Generic at compile time) and passes their count:
**   - a type no hole takes (a struct, a float array...) fails to compile;
**   - integers of any width and signedness fit ~i and ~u (checked for
**     range), any integer or floating value fits ~f, a char pointer fits
**     ~a ~s ~l, any pointer ~b, a beam_term_t ~t, a beam_term_t * a
**     variable: anything else, a missing argument or one too many is
**     BEAM_EBADARG, before anything is matched, built or received;
**   - beam_fmt("{n, ~i}", 5) just works, no (int64_t) cast needed.
** The plain functions stay, for C++, for code that defines
** BEAM_NO_TYPED_ARGS before including cbeam.h, and through the v-forms and
** '(beam_fmt)(...)': those read C's default promotions exactly as
** documented (~i an int64_t, ...). Up to 64 arguments in one call.
*/
#ifndef CBEAM_ARGS_H
#define CBEAM_ARGS_H

#include <stddef.h>
#include <stdint.h>

/* One argument with its C type. */
typedef enum beam_arg_kind {
  BEAM_ARG_INT = 1, /* any signed integer type (and char, _Bool) */
  BEAM_ARG_UINT,    /* any unsigned integer type */
  BEAM_ARG_FLOAT,   /* float, double */
  BEAM_ARG_STR,     /* char *, const char * */
  BEAM_ARG_PTR,     /* any other pointer (void *, NULL, unsigned char *) */
  BEAM_ARG_TERM,    /* beam_term_t */
  BEAM_ARG_TERMP,   /* beam_term_t * */
} beam_arg_kind_t;

typedef struct beam_arg {
  beam_arg_kind_t kind;
  union {
    long long i;
    unsigned long long u;
    double f;
    const void *p;
    uint64_t t; /* a beam_term_t's word */
  } v;
} beam_arg_t;

#if !defined(__cplusplus) && !defined(BEAM_NO_TYPED_ARGS) &&                  \
    defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define BEAM_TYPED_ARGS 1

static inline beam_arg_t beam__arg_int(long long v) {
  beam_arg_t a;
  a.kind = BEAM_ARG_INT;
  a.v.i = v;
  return a;
}
static inline beam_arg_t beam__arg_uint(unsigned long long v) {
  beam_arg_t a;
  a.kind = BEAM_ARG_UINT;
  a.v.u = v;
  return a;
}
static inline beam_arg_t beam__arg_float(double v) {
  beam_arg_t a;
  a.kind = BEAM_ARG_FLOAT;
  a.v.f = v;
  return a;
}
static inline beam_arg_t beam__arg_str(const char *v) {
  beam_arg_t a;
  a.kind = BEAM_ARG_STR;
  a.v.p = v;
  return a;
}
static inline beam_arg_t beam__arg_ptr(const void *v) {
  beam_arg_t a;
  a.kind = BEAM_ARG_PTR;
  a.v.p = v;
  return a;
}
static inline beam_arg_t beam__arg_term(struct beam_term v) {
  beam_arg_t a;
  a.kind = BEAM_ARG_TERM;
  a.v.t = v.raw;
  return a;
}
static inline beam_arg_t beam__arg_termp(struct beam_term *v) {
  beam_arg_t a;
  a.kind = BEAM_ARG_TERMP;
  a.v.p = v;
  return a;
}

/* The beam_arg_t for 'x', by its type. */
#define BEAM_ARG(x)                                                            \
  _Generic((x),                                                                \
      _Bool: beam__arg_int,                                                    \
      char: beam__arg_int,                                                     \
      signed char: beam__arg_int,                                              \
      short: beam__arg_int,                                                    \
      int: beam__arg_int,                                                      \
      long: beam__arg_int,                                                     \
      long long: beam__arg_int,                                                \
      unsigned char: beam__arg_uint,                                           \
      unsigned short: beam__arg_uint,                                          \
      unsigned int: beam__arg_uint,                                            \
      unsigned long: beam__arg_uint,                                           \
      unsigned long long: beam__arg_uint,                                      \
      float: beam__arg_float,                                                  \
      double: beam__arg_float,                                                 \
      char *: beam__arg_str,                                                   \
      const char *: beam__arg_str,                                             \
      struct beam_term: beam__arg_term,                                        \
      struct beam_term *: beam__arg_termp,                                     \
      default: beam__arg_ptr)(x)

/* clang-format off */
/* BEAM__NARG(...): how many arguments, 1..64. */
#define BEAM__NARG(...) BEAM__NARG_(__VA_ARGS__, 64, 63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define BEAM__NARG_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, _33, _34, _35, _36, _37, _38, _39, _40, _41, _42, _43, _44, _45, _46, _47, _48, _49, _50, _51, _52, _53, _54, _55, _56, _57, _58, _59, _60, _61, _62, _63, _64, n, ...) n
#define BEAM__CAT(a, b) BEAM__CAT_(a, b)
#define BEAM__CAT_(a, b) a##b
/* BEAM__MAP(f, ...): f(a1), f(a2), ... */
#define BEAM__MAP(f, ...) BEAM__CAT(BEAM__M, BEAM__NARG(__VA_ARGS__))(f, __VA_ARGS__)
#define BEAM__M1(f, a) f(a)
#define BEAM__M2(f, a, ...) f(a), BEAM__M1(f, __VA_ARGS__)
#define BEAM__M3(f, a, ...) f(a), BEAM__M2(f, __VA_ARGS__)
#define BEAM__M4(f, a, ...) f(a), BEAM__M3(f, __VA_ARGS__)
#define BEAM__M5(f, a, ...) f(a), BEAM__M4(f, __VA_ARGS__)
#define BEAM__M6(f, a, ...) f(a), BEAM__M5(f, __VA_ARGS__)
#define BEAM__M7(f, a, ...) f(a), BEAM__M6(f, __VA_ARGS__)
#define BEAM__M8(f, a, ...) f(a), BEAM__M7(f, __VA_ARGS__)
#define BEAM__M9(f, a, ...) f(a), BEAM__M8(f, __VA_ARGS__)
#define BEAM__M10(f, a, ...) f(a), BEAM__M9(f, __VA_ARGS__)
#define BEAM__M11(f, a, ...) f(a), BEAM__M10(f, __VA_ARGS__)
#define BEAM__M12(f, a, ...) f(a), BEAM__M11(f, __VA_ARGS__)
#define BEAM__M13(f, a, ...) f(a), BEAM__M12(f, __VA_ARGS__)
#define BEAM__M14(f, a, ...) f(a), BEAM__M13(f, __VA_ARGS__)
#define BEAM__M15(f, a, ...) f(a), BEAM__M14(f, __VA_ARGS__)
#define BEAM__M16(f, a, ...) f(a), BEAM__M15(f, __VA_ARGS__)
#define BEAM__M17(f, a, ...) f(a), BEAM__M16(f, __VA_ARGS__)
#define BEAM__M18(f, a, ...) f(a), BEAM__M17(f, __VA_ARGS__)
#define BEAM__M19(f, a, ...) f(a), BEAM__M18(f, __VA_ARGS__)
#define BEAM__M20(f, a, ...) f(a), BEAM__M19(f, __VA_ARGS__)
#define BEAM__M21(f, a, ...) f(a), BEAM__M20(f, __VA_ARGS__)
#define BEAM__M22(f, a, ...) f(a), BEAM__M21(f, __VA_ARGS__)
#define BEAM__M23(f, a, ...) f(a), BEAM__M22(f, __VA_ARGS__)
#define BEAM__M24(f, a, ...) f(a), BEAM__M23(f, __VA_ARGS__)
#define BEAM__M25(f, a, ...) f(a), BEAM__M24(f, __VA_ARGS__)
#define BEAM__M26(f, a, ...) f(a), BEAM__M25(f, __VA_ARGS__)
#define BEAM__M27(f, a, ...) f(a), BEAM__M26(f, __VA_ARGS__)
#define BEAM__M28(f, a, ...) f(a), BEAM__M27(f, __VA_ARGS__)
#define BEAM__M29(f, a, ...) f(a), BEAM__M28(f, __VA_ARGS__)
#define BEAM__M30(f, a, ...) f(a), BEAM__M29(f, __VA_ARGS__)
#define BEAM__M31(f, a, ...) f(a), BEAM__M30(f, __VA_ARGS__)
#define BEAM__M32(f, a, ...) f(a), BEAM__M31(f, __VA_ARGS__)
#define BEAM__M33(f, a, ...) f(a), BEAM__M32(f, __VA_ARGS__)
#define BEAM__M34(f, a, ...) f(a), BEAM__M33(f, __VA_ARGS__)
#define BEAM__M35(f, a, ...) f(a), BEAM__M34(f, __VA_ARGS__)
#define BEAM__M36(f, a, ...) f(a), BEAM__M35(f, __VA_ARGS__)
#define BEAM__M37(f, a, ...) f(a), BEAM__M36(f, __VA_ARGS__)
#define BEAM__M38(f, a, ...) f(a), BEAM__M37(f, __VA_ARGS__)
#define BEAM__M39(f, a, ...) f(a), BEAM__M38(f, __VA_ARGS__)
#define BEAM__M40(f, a, ...) f(a), BEAM__M39(f, __VA_ARGS__)
#define BEAM__M41(f, a, ...) f(a), BEAM__M40(f, __VA_ARGS__)
#define BEAM__M42(f, a, ...) f(a), BEAM__M41(f, __VA_ARGS__)
#define BEAM__M43(f, a, ...) f(a), BEAM__M42(f, __VA_ARGS__)
#define BEAM__M44(f, a, ...) f(a), BEAM__M43(f, __VA_ARGS__)
#define BEAM__M45(f, a, ...) f(a), BEAM__M44(f, __VA_ARGS__)
#define BEAM__M46(f, a, ...) f(a), BEAM__M45(f, __VA_ARGS__)
#define BEAM__M47(f, a, ...) f(a), BEAM__M46(f, __VA_ARGS__)
#define BEAM__M48(f, a, ...) f(a), BEAM__M47(f, __VA_ARGS__)
#define BEAM__M49(f, a, ...) f(a), BEAM__M48(f, __VA_ARGS__)
#define BEAM__M50(f, a, ...) f(a), BEAM__M49(f, __VA_ARGS__)
#define BEAM__M51(f, a, ...) f(a), BEAM__M50(f, __VA_ARGS__)
#define BEAM__M52(f, a, ...) f(a), BEAM__M51(f, __VA_ARGS__)
#define BEAM__M53(f, a, ...) f(a), BEAM__M52(f, __VA_ARGS__)
#define BEAM__M54(f, a, ...) f(a), BEAM__M53(f, __VA_ARGS__)
#define BEAM__M55(f, a, ...) f(a), BEAM__M54(f, __VA_ARGS__)
#define BEAM__M56(f, a, ...) f(a), BEAM__M55(f, __VA_ARGS__)
#define BEAM__M57(f, a, ...) f(a), BEAM__M56(f, __VA_ARGS__)
#define BEAM__M58(f, a, ...) f(a), BEAM__M57(f, __VA_ARGS__)
#define BEAM__M59(f, a, ...) f(a), BEAM__M58(f, __VA_ARGS__)
#define BEAM__M60(f, a, ...) f(a), BEAM__M59(f, __VA_ARGS__)
#define BEAM__M61(f, a, ...) f(a), BEAM__M60(f, __VA_ARGS__)
#define BEAM__M62(f, a, ...) f(a), BEAM__M61(f, __VA_ARGS__)
#define BEAM__M63(f, a, ...) f(a), BEAM__M62(f, __VA_ARGS__)
#define BEAM__M64(f, a, ...) f(a), BEAM__M63(f, __VA_ARGS__)
/* clang-format on */
#endif

#endif
