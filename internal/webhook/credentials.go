package webhook

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
)

// maxCredentialFileBytes bounds what is read from a credential file: a wrong mount must not fill the memory.
const maxCredentialFileBytes = 4096

// AppCredentials are the TikTok Shop app's key and secret, which sign every webhook. AliTok has one app for all
// sellers, so one pair serves every shop.
type AppCredentials struct {
	Key, Secret string
}

// String keeps the values out of anything that formats the struct.
func (AppCredentials) String() string { return "AppCredentials{redacted}" }

// GoString keeps the values out of %#v.
func (c AppCredentials) GoString() string { return c.String() }

// LoadAppCredentials reads the app key and secret from files mounted from a Secret. Errors name the file, never
// what it holds.
func LoadAppCredentials(keyFile, secretFile string) (AppCredentials, error) {
	key, err := readCredential(keyFile, "--tiktokshop-app-key-file")
	if err != nil {
		return AppCredentials{}, err
	}
	secret, err := readCredential(secretFile, "--tiktokshop-app-secret-file")
	if err != nil {
		return AppCredentials{}, err
	}
	return AppCredentials{Key: key, Secret: secret}, nil
}

// readCredential reads a one-line value; the trailing newline an editor adds is dropped.
func readCredential(path, flag string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("%s is required", flag)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCredentialFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("%s: reading %s: %w", flag, path, errors.Unwrap(err))
	}
	if len(b) > maxCredentialFileBytes {
		return "", fmt.Errorf("%s: %s is larger than %d bytes, not a credential", flag, path, maxCredentialFileBytes)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("%s: %s is empty", flag, path)
	}
	if strings.ContainsFunc(v, unicode.IsControl) {
		return "", fmt.Errorf("%s: %s holds more than one line or a control character", flag, path)
	}
	return v, nil
}
