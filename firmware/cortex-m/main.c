/* Cortex-M harness firmware (qemu mps2-an385/an386/an500, and unicorn for counting).
 *
 * Rows are a const table in flash, copied one at a time to a RAM buffer. Lines go out by
 * semihosting SYS_WRITE0. The timed region lies between the markers of harness_markers.h,
 * counted in unicorn (qemu has no exact cycle or instruction counter a guest can read).
 */
#include <stdint.h>
#include <string.h>
#include "semihost.h"
#include "harness_markers.h"

static void harness_puts(const char *s) {
    harness_semihost(SEMIHOST_SYS_WRITE0, s);
    harness_semihost(SEMIHOST_SYS_WRITE0, "\n");
}

#define HARNESS_LOAD_ROW(dst, offset, n) memcpy((dst), harness_rows + (offset), (n))

#include "harness_main.h"

int main(void) {
    harness_run();
    return 0;
}
