/* test_util.h - shared includes for cmocka unit tests (include first). */
#ifndef DLA_TEST_UTIL_H
#define DLA_TEST_UTIL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#endif
