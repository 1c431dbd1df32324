/* Unit tests: tls (to be written). */
#include "harness.h"

TEST_LIST(tls_tests) = {
	TEST_END
};
