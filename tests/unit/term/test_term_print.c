/* SPDX-License-Identifier: MIT */
/* test_term_print.c: ~p-style printing and its bounds. */
#include "../../harness/check.h"

#include "../../../src/term/term.h"

BEAM_TEST(print_atoms) {
  ASSERT_PRINTS(beam_atom("ok"), "ok");
  ASSERT_PRINTS(beam_atom("EXIT"), "'EXIT'");
  ASSERT_PRINTS(beam_atom("hello world"), "'hello world'");
  ASSERT_PRINTS(beam_atom("a_B@9"), "a_B@9");
  ASSERT_PRINTS(beam_atom("_x"), "'_x'");
  ASSERT_PRINTS(beam_atom("9x"), "'9x'");
  ASSERT_PRINTS(beam_atom(""), "''");
  ASSERT_PRINTS(beam_atom("it's"), "'it\\'s'");
  ASSERT_PRINTS(beam_atom("a\nb"), "'a\\nb'");
  /* controls as erl's three-digit octal, so a digit after one stays a
  ** digit when the text is read back (found by the syntax fuzzer) */
  ASSERT_PRINTS(beam_atom("o\0262"), "'o\\0262'");
  ASSERT_TERM_EQ(beam_fmt("'o\\0262'"), beam_atom("o\0262"));
  ASSERT_PRINTS(beam_atom("receive"), "'receive'");
  ASSERT_PRINTS(beam_atom("é"), "'é'");
}

BEAM_TEST(print_numbers) {
  ASSERT_PRINTS(beam_int(0), "0");
  ASSERT_PRINTS(beam_int(-42), "-42");
  ASSERT_PRINTS(beam_int(INT64_MIN), "-9223372036854775808");
  ASSERT_PRINTS(beam_float(1.0), "1.0");
  ASSERT_PRINTS(beam_float(0.1), "0.1");
  ASSERT_PRINTS(beam_float(-0.0), "-0.0");
  ASSERT_PRINTS(beam_float(0.0), "0.0");
  ASSERT_PRINTS(beam_float(1.5), "1.5");
  ASSERT_PRINTS(beam_float(100.0), "100.0");
  ASSERT_PRINTS(beam_float(1000.0), "1.0e3"); /* OTP: shorter wins */
  ASSERT_PRINTS(beam_float(10000.0), "1.0e4");
  ASSERT_PRINTS(beam_float(123456.0), "123456.0");
  ASSERT_PRINTS(beam_float(1e20), "1.0e20");
  ASSERT_PRINTS(beam_float(1.5e20), "1.5e20");
  ASSERT_PRINTS(beam_float(0.001), "0.001");
  ASSERT_PRINTS(beam_float(0.0001), "1.0e-4");
  ASSERT_PRINTS(beam_float(0.00012), "1.2e-4");
  ASSERT_PRINTS(beam_float(3.14159), "3.14159");
  ASSERT_PRINTS(beam_float(-2.5), "-2.5");
  ASSERT_PRINTS(beam_float(1.0 / 3.0), "0.3333333333333333");
  ASSERT_PRINTS(beam_float(9007199254740992.0), "9.007199254740992e15");
  ASSERT_PRINTS(beam_float(4503599627370496.0), "4503599627370496.0");
  ASSERT_PRINTS(beam_float(5e-324), "5.0e-324");
  ASSERT_PRINTS(beam_float(1.7976931348623157e308), "1.7976931348623157e308");
  ASSERT_PRINTS(beam_float(0.30000000000000004), "0.30000000000000004");
  ASSERT_PRINTS(beam_int_from_str("-1000000000000000000000"),
                "-1000000000000000000000");
}

BEAM_TEST(print_strings_and_binaries) {
  ASSERT_PRINTS(beam_charlist("hello"), "\"hello\"");
  ASSERT_PRINTS(beam_charlist("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
  ASSERT_PRINTS(beam_charlist("héllo"), "\"héllo\"");
  ASSERT_PRINTS(beam_charlist("日本"), "[26085,26412]");
  ASSERT_PRINTS(beam_list(3, beam_int(1), beam_int(2), beam_int(3)), "[1,2,3]");
  ASSERT_PRINTS(beam_nil(), "[]");
  ASSERT_PRINTS(beam_cons(beam_int(104), beam_int(105)), "[104|105]");
  ASSERT_PRINTS(beam_string("text"), "<<\"text\">>");
  ASSERT_PRINTS(beam_string("héllo"), "<<\"héllo\"/utf8>>");
  ASSERT_PRINTS(beam_binary("\x01\x02\x03", 3), "<<1,2,3>>");
  ASSERT_PRINTS(beam_binary("", 0), "<<>>");
  ASSERT_PRINTS(beam_binary("a\tb", 3), "<<\"a\\tb\">>");
  ASSERT_PRINTS(beam_binary("\xff\x00", 2), "<<255,0>>");
  char big[100];
  memset(big, 'z', sizeof big);
  char want[110] = "<<\"";
  memcpy(want + 3, big, 100);
  strcpy(want + 103, "\">>");
  ASSERT_PRINTS(beam_binary(big, 100), want);
}

BEAM_TEST(print_compound) {
  ASSERT_PRINTS(beam_tuple(2, beam_atom("ok"), beam_int(1)), "{ok,1}");
  ASSERT_PRINTS(beam_tuple(0), "{}");
  ASSERT_PRINTS(beam_map_new(), "#{}");
  ASSERT_PRINTS(beam_fmt("#{a => [1, {b}], \"k\" => <<1>>}"),
                "#{a => [1,{b}],\"k\" => <<1>>}");
  ASSERT_PRINTS(beam__pid_make(12, 3), "<0.12.3>");
  ASSERT_PRINTS(beam__ref_make(((uint64_t) 1 << 32) | 7), "#Ref<0.0.16384.7>");
  ASSERT_PRINTS(beam_error_term(BEAM_ENOMEM), "#Error<ENOMEM>");
  ASSERT_PRINTS(beam_tuple(2, beam_atom("EXIT"), beam_atom("normal")),
                "{'EXIT',normal}");
}

BEAM_TEST(print_bounded) {
  beam_term_t t = beam_fmt("{hello, world, [1,2,3]}");
  char buf[8];
  size_t n = beam_print(buf, sizeof buf, t);
  ASSERT_EQ(n, strlen("{hello,world,[1,2,3]}"));
  ASSERT_STR_EQ(buf, "{hello,");
  ASSERT_EQ(beam_print(NULL, 0, t), n);
  char one[1];
  ASSERT_EQ(beam_print(one, 1, t), n);
  ASSERT_EQ(one[0], '\0');
  /* A huge list: bounded work, result >= size (a lower bound). */
  size_t len = 2000000;
  beam_term_t *elems = malloc(len * sizeof *elems);
  for (size_t i = 0; i < len; i++)
    elems[i] = beam_int(1000);
  beam_term_t l = beam_list_v(len, elems);
  free(elems);
  char small[64];
  size_t r = beam_print(small, sizeof small, l);
  ASSERT_GE(r, sizeof small);
  ASSERT_LT(r, len); /* it stopped early */
  ASSERT_EQ(strlen(small), 63);
  ASSERT(strncmp(small, "[1000,1000,", 11) == 0);
  /* beam_fprint writes at most 'max' bytes. */
  FILE *f = tmpfile();
  ASSERT_EQ(beam_fprint(f, t, 5), 5);
  ASSERT_EQ(beam_fprint(f, beam_atom("ok"), 0), 2);
  rewind(f);
  char got[16] = {0};
  ASSERT_EQ(fread(got, 1, sizeof got, f), 7);
  ASSERT_STR_EQ(got, "{hellok");
  fclose(f);
}
