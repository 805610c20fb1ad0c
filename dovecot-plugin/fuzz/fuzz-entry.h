#ifndef FUZZ_ENTRY_H
#define FUZZ_ENTRY_H

/* The libFuzzer entry the plugin's targets share (fuzz-entry.c):
   libdovecot is set up once, then fuzz_init(), then every input goes to
   fuzz_one() in a data stack frame of its own.  A target defines both. */

#include <stddef.h>
#include <stdint.h>

/* Once, after lib_init(). */
void fuzz_init(void);
/* One input. */
void fuzz_one(const uint8_t *data, size_t size);

#endif
