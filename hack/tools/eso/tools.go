//go:build tools

// Package tools pins the ESO controller this module builds.
package tools

import _ "github.com/external-secrets/external-secrets"
