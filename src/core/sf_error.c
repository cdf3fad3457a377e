#include "sf_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SF_ERRMAX 1024

static _Thread_local char errbuf[SF_ERRMAX];

int sf_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    va_end(ap);
    return SF_ERR;
}

int sf_error_prefix(const char *fmt, ...)
{
    char prefix[SF_ERRMAX], old[SF_ERRMAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, errbuf, sizeof old);
    size_t np = strlen(prefix);
    if (np > sizeof errbuf - 3)
        np = sizeof errbuf - 3;
    memcpy(errbuf, prefix, np);
    errbuf[np] = ':';
    errbuf[np + 1] = ' ';
    size_t room = sizeof errbuf - np - 3;
    size_t no = strnlen(old, room);
    memcpy(errbuf + np + 2, old, no);
    errbuf[np + 2 + no] = '\0';
    return SF_ERR;
}

const char *sf_error_message(void) { return errbuf; }

void sf_error_clear(void) { errbuf[0] = '\0'; }

void *sf_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        sf_error("out of memory (%zu bytes)", size);
    return p;
}

void *sf_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        sf_error("out of memory (%zu x %zu bytes)", n, size);
    return p;
}

void *sf_realloc(void *old, size_t size)
{
    void *p = realloc(old, size ? size : 1);
    if (!p)
        sf_error("out of memory (%zu bytes)", size);
    return p;
}

char *sf_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = sf_malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}
