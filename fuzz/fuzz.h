/* fuzz.h - shared by the harnesses: how an invariant violation ends.
 *
 * Under libFuzzer (the default) it aborts, which libFuzzer reports as a
 * crash and saves the input.  Built with FUZZ_REPLAY (fuzz/replay.c, the
 * ctest targets fuzz.replay_*), it returns to the replay driver, which
 * names the input and goes on with the next one. */
#ifndef SFLEX_FUZZ_H
#define SFLEX_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef FUZZ_REPLAY
_Noreturn void fuzz_replay_fail(void);
#define FUZZ_ABORT() fuzz_replay_fail()
#else
#include <stdlib.h>
#define FUZZ_ABORT() abort()
#endif

#endif
