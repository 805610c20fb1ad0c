/* fuzz-entry.c: see fuzz-entry.h. */

#include "lib.h"
#include "fuzz-entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialized = FALSE;

	if (!initialized) {
		lib_init();
		fuzz_init();
		initialized = TRUE;
	}
	T_BEGIN {
		fuzz_one(data, size);
	} T_END;
	return 0;
}
