/* sf_test.h - a minimal test harness for the C core tests.
 * CHECK(cond) records a failure and continues; each test file's main()
 * returns sf_test_summary(), which prints "N passed, M failed". */
#ifndef SF_TEST_H
#define SF_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int sf_test_pass, sf_test_fail;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond)                                                            \
            sf_test_pass++;                                                  \
        else {                                                               \
            sf_test_fail++;                                                  \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
        }                                                                    \
    } while (0)

#define CHECK_MSG(cond, ...)                                                 \
    do {                                                                     \
        if (cond)                                                            \
            sf_test_pass++;                                                  \
        else {                                                               \
            sf_test_fail++;                                                  \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, \
                    #cond);                                                  \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                \
    CHECK_MSG(fabs((double)(a) - (double)(b)) <= (tol), "%.17g vs %.17g",    \
              (double)(a), (double)(b))

static inline int sf_test_summary(void)
{
    printf("%d passed, %d failed\n", sf_test_pass, sf_test_fail);
    return sf_test_fail ? 1 : 0;
}

#endif
