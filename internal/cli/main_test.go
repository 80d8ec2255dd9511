package cli

import (
	"testing"

	"netdisk/internal/cloudtest"
)

func TestMain(m *testing.M) { cloudtest.Main(m) }
