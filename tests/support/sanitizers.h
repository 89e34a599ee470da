/*
 * sanitizers.h - which sanitizers a test binary is built with, for tests
 * that run fewer repetitions under the slow ones:
 *   L1_TEST_SLOW       AddressSanitizer or ThreadSanitizer;
 *   L1_TEST_SANITIZED  AddressSanitizer or UndefinedBehaviorSanitizer.
 * (GCC defines __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__; clang answers
 * __has_feature.)
 */
#ifndef L1_TEST_SANITIZERS_H
#define L1_TEST_SANITIZERS_H

#if !defined(__has_feature)
#  define L1__HAS_FEATURE(x) 0
#else
#  define L1__HAS_FEATURE(x) __has_feature(x)
#endif

#if defined(__SANITIZE_ADDRESS__) || L1__HAS_FEATURE(address_sanitizer)
#  define L1_TEST_ASAN 1
#else
#  define L1_TEST_ASAN 0
#endif
#if defined(__SANITIZE_THREAD__) || L1__HAS_FEATURE(thread_sanitizer)
#  define L1_TEST_TSAN 1
#else
#  define L1_TEST_TSAN 0
#endif
#if defined(__SANITIZE_UNDEFINED__) || L1__HAS_FEATURE(undefined_behavior_sanitizer)
#  define L1_TEST_UBSAN 1
#else
#  define L1_TEST_UBSAN 0
#endif

#define L1_TEST_SLOW (L1_TEST_ASAN || L1_TEST_TSAN)
#define L1_TEST_SANITIZED (L1_TEST_ASAN || L1_TEST_UBSAN)

#endif /* L1_TEST_SANITIZERS_H */
