package worker

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/alitok/workspace-operator/internal/contract"
)

// maxInputFileBytes bounds what is read from any input file. All are small; a wrong mount (a huge file) must not
// exhaust the worker's memory.
const maxInputFileBytes = 1 << 20

// errMissing and errEmpty mark a file that does not exist or holds nothing, so optional files can be told from
// malformed ones.
var (
	errMissing = errors.New("missing")
	errEmpty   = errors.New("empty")
)

func isMissing(err error) bool   { return errors.Is(err, errMissing) }
func isEmptyFile(err error) bool { return errors.Is(err, errEmpty) }

// readInput reads a whole input file. Errors name the file and what it should hold, never its content.
func readInput(path, what string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fail(contract.ReasonInvalidInput, fmt.Errorf("%s file %s is %w", what, path, errMissing))
	}
	if err != nil {
		return nil, inputError("%s file %s cannot be opened: %v", what, path, errors.Unwrap(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxInputFileBytes+1))
	if err != nil {
		return nil, inputError("%s file %s cannot be read: %v", what, path, errors.Unwrap(err))
	}
	if len(b) > maxInputFileBytes {
		return nil, inputError("%s file %s is larger than %d bytes", what, path, maxInputFileBytes)
	}
	return b, nil
}

// readText reads a one-line text file, such as a token mounted from a Secret. Surrounding white space (the
// trailing newline an editor adds) is dropped; an empty value or one with a line break or control character
// inside is malformed.
func readText(path, what string) (string, error) {
	b, err := readInput(path, what)
	if err != nil {
		return "", err
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fail(contract.ReasonInvalidInput, fmt.Errorf("%s file %s is %w", what, path, errEmpty))
	}
	for _, c := range v {
		if unicode.IsControl(c) || c == unicode.ReplacementChar {
			return "", inputError("%s file %s is malformed: it holds a line break, control character or invalid UTF-8 "+
				"(want a single line of text)", what, path)
		}
	}
	return v, nil
}

// optional turns a missing file into "", nil.
func optional(v string, err error) (string, error) {
	if errors.Is(err, errMissing) {
		return "", nil
	}
	return v, err
}

// credentials are an Integration's API credentials, read from the files of its Secret.
type credentials struct {
	appKey, appSecret, accessToken, shopCipher string
	// expiresAt is when the access token expires; zero when the Secret does not say.
	expiresAt time.Time
	// refreshToken renews the access token; "" when the Secret holds none.
	refreshToken string
}

// The credential files, one per key of the Integration's Secret.
const (
	fileAppKey      = "app_key"
	fileAppSecret   = "app_secret"
	fileAccessToken = "access_token"
	fileShopCipher  = "shop_cipher"
	fileExpireAt    = "access_token_expire_at"
	// fileRefreshToken and fileRefreshExpireAt are written by a refresh, and read by the next one.
	fileRefreshToken    = "refresh_token"
	fileRefreshExpireAt = "refresh_token_expire_at"
)

// maxUnixSeconds is far beyond any token's life (year 5138); a larger value is almost surely milliseconds, as
// AliExpress's token endpoint sends them, and taking it as seconds would make an expired token look valid.
const maxUnixSeconds = 1e11

// readCredentials reads the credential files in dir and registers the secret ones for redaction.
func (r *runner) readCredentials(dir string) (credentials, error) {
	var c credentials
	var err error
	path := func(name string) string { return filepath.Join(dir, name) }
	if c.appKey, err = readText(path(fileAppKey), "credentials"); err != nil {
		return c, err
	}
	if c.appSecret, err = readText(path(fileAppSecret), "credentials"); err != nil {
		return c, err
	}
	r.red.add(c.appSecret)
	if c.accessToken, err = readText(path(fileAccessToken), "credentials"); err != nil {
		return c, err
	}
	r.red.add(c.accessToken)
	if c.shopCipher, err = optional(readText(path(fileShopCipher), "credentials")); err != nil {
		return c, err
	}
	if c.refreshToken, err = optional(readText(path(fileRefreshToken), "credentials")); err != nil {
		return c, err
	}
	r.red.add(c.refreshToken)
	exp, err := optional(readText(path(fileExpireAt), "credentials"))
	if err != nil {
		return c, err
	}
	if exp != "" {
		secs, err := strconv.ParseInt(exp, 10, 64)
		if err != nil || secs <= 0 {
			return c, inputError("credentials file %s is malformed: want the token's expiry in Unix seconds", path(fileExpireAt))
		}
		if secs > maxUnixSeconds {
			return c, inputError("credentials file %s is malformed: the value looks like Unix milliseconds; want Unix seconds",
				path(fileExpireAt))
		}
		c.expiresAt = time.Unix(secs, 0).UTC()
	}
	return c, nil
}

// readDSN reads the PostgreSQL DSN and registers it, and its password, for redaction.
func (r *runner) readDSN(path string) (string, error) {
	dsn, err := readText(path, "database DSN")
	if err != nil {
		return "", err
	}
	r.red.add(dsn)
	if cfg, err := pgconn.ParseConfig(dsn); err == nil {
		r.red.add(cfg.Password)
	}
	return dsn, nil
}

// minHMACKeyBytes refuses keys too short to keep pseudonyms from being reversed by guessing; the operator makes
// 32-byte keys.
const minHMACKeyBytes = 16

// readHMACKey reads the tenant's HMAC key: raw bytes, taken as they are (a random key may end in a byte that
// looks like white space).
func (r *runner) readHMACKey(path string) ([]byte, error) {
	key, err := readInput(path, "HMAC key")
	if err != nil {
		return nil, err
	}
	if len(key) < minHMACKeyBytes {
		return nil, inputError("HMAC key file %s holds %d bytes; want at least %d", path, len(key), minHMACKeyBytes)
	}
	r.red.add(string(key))
	return key, nil
}

// readRestrictionList reads a JSON array of pseudonyms whose records must not be synced. A missing file is an
// error, not an empty list: syncing restricted data because a mount went wrong is the failure to avoid.
func (r *runner) readRestrictionList(path string) (map[string]bool, error) {
	b, err := readInput(path, "restriction list")
	if err != nil {
		return nil, err
	}
	var list []string
	if len(bytes.TrimSpace(b)) > 0 {
		// The decoder's message is not passed on: it may quote a piece of the file.
		if err := json.Unmarshal(b, &list); err != nil {
			return nil, inputError("restriction list file %s is malformed: want a JSON array of pseudonyms", path)
		}
	}
	set := make(map[string]bool, len(list))
	for i, p := range list {
		if len(p) != 64 || strings.ToLower(p) != p {
			return nil, inputError("restriction list file %s: entry %d is not a pseudonym (64 lowercase hex digits)", path, i+1)
		}
		if _, err := hex.DecodeString(p); err != nil {
			return nil, inputError("restriction list file %s: entry %d is not a pseudonym (64 lowercase hex digits)", path, i+1)
		}
		r.red.add(p)
		set[p] = true
	}
	return set, nil
}

// readRestrictionDir reads every restriction list file in dir, as the restriction-list ConfigMap mounts them (one
// key per Restriction or Objection request; the kubelet's own ..data entries are skipped). A missing folder is an
// error, like a missing file; an empty one means nobody is restricted.
func (r *runner) readRestrictionDir(dir string) (map[string]bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, inputError("restriction list folder %s cannot be read: %v", dir, errors.Unwrap(err))
	}
	set := map[string]bool{}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "..") || e.IsDir() {
			continue
		}
		one, err := r.readRestrictionList(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		maps.Copy(set, one)
	}
	return set, nil
}
