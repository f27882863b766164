package webhook

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadAppCredentials(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key := write("key", "app-key\n")
	secret := write("secret", "  s3cr3t-value \n")
	creds, err := LoadAppCredentials(key, secret)
	if err != nil {
		t.Fatal(err)
	}
	if creds.Key != "app-key" || creds.Secret != "s3cr3t-value" {
		t.Errorf("got a key of %d and a secret of %d bytes, want the files' trimmed values", len(creds.Key), len(creds.Secret))
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if got := fmt.Sprintf(format, creds); strings.Contains(got, "s3cr3t") || strings.Contains(got, "app-key") {
			t.Errorf("%s prints the credentials: %s", format, got)
		}
	}

	for name, tt := range map[string]struct{ key, secret, want string }{
		"no key file flag":    {"", secret, "--tiktokshop-app-key-file is required"},
		"a missing file":      {key, filepath.Join(dir, "absent"), "--tiktokshop-app-secret-file"},
		"an empty file":       {key, write("empty", " \n"), "is empty"},
		"two lines":           {key, write("two", "s3cr3t-one\ns3cr3t-two\n"), "more than one line"},
		"a file far too long": {write("long", strings.Repeat("s3cr3t", 1000)), secret, "larger than"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadAppCredentials(tt.key, tt.secret)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error quotes the file: %v", err)
			}
		})
	}
}
