/* sf_error.h - error reporting for the sflex core.
 *
 * A fallible core call returns SF_ERR (-1) and leaves a message that says what
 * and where ("file:line: duplicate atom id 17").  The message is thread-local,
 * so worker threads never clobber each other's messages.  The core never prints
 * and never exits. */
#ifndef SF_ERROR_H
#define SF_ERROR_H

#include <stddef.h>

#define SF_OK 0
#define SF_ERR (-1)

#if defined(__GNUC__)
#define SF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SF_PRINTF(a, b)
#endif

/* Set the thread's error message; always returns SF_ERR. */
int sf_error(const char *fmt, ...) SF_PRINTF(1, 2);
/* Prepend "prefix: " to the current message; returns SF_ERR. */
int sf_error_prefix(const char *fmt, ...) SF_PRINTF(1, 2);
/* The last message set on this thread ("" if none). */
const char *sf_error_message(void);
void sf_error_clear(void);

/* Allocation helpers: on failure they set an error and return NULL. */
void *sf_malloc(size_t size);
void *sf_calloc(size_t n, size_t size);
void *sf_realloc(void *p, size_t size);
char *sf_strdup(const char *s);

#endif
