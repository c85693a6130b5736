//go:build nodev

package main

import (
	"context"
	"errors"

	"github.com/sirupsen/logrus"
)

// runDev is left out of production builds (-tags nodev), which do without the embedded Temporal
// server, its Web UI and the sandbox.
func runDev(context.Context, env, *logrus.Logger, []string) error {
	return errors.New("this binary is built without the dev stack (-tags nodev): run `cartback worker` and `cartback server` against a Temporal cluster")
}
