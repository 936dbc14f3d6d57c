package processtest

import "github.com/initbox/initbox/internal/testutil/clitest"

// runInitbox runs a command line in-process, as main would.
var runInitbox = clitest.Run
