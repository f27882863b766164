package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/provider"
)

// defaultRefreshBefore is how long before its expiry an access token is renewed unless --refresh-before says:
// TikTok Shop's live about a week, so three days leave room for several failed attempts and a person.
const defaultRefreshBefore = 72 * time.Hour

// refreshFunc renews one platform's access token with its refresh token.
type refreshFunc func(ctx context.Context, r *runner, in *contract.Refresh, c credentials) (provider.Token, error)

// runRefresh renews the access token when it expires within --refresh-before, and writes the credentials
// document with the new tokens to --token-secret, from where the operator's PushSecret writes it back to the
// secret backend: the backend stays the one source of truth, and the ExternalSecret brings the new tokens to
// every sync. A token not yet due is left alone.
func runRefresh(ctx context.Context, r *runner, in *contract.Refresh) error {
	r.res.Tenant, r.res.Integration, r.res.Provider = in.Tenant, in.Integration, string(in.Provider)
	if err := checkTenant(in.Tenant); err != nil {
		return err
	}
	if err := checkIntegration("integration", in.Integration); err != nil {
		return err
	}
	if err := checkProvider(in.Provider); err != nil {
		return err
	}
	before := defaultRefreshBefore
	if in.RefreshBefore != "" {
		d, err := time.ParseDuration(in.RefreshBefore)
		if err != nil || d <= 0 {
			return usageError("--refresh-before %q is not a positive duration such as 72h", in.RefreshBefore)
		}
		before = d
	}
	namespace, name, err := parseSecretRef("token-secret", in.TokenSecret)
	if err != nil {
		return err
	}
	creds, err := r.readCredentials(in.Credentials.Path)
	if err != nil {
		return err
	}
	doc, err := readCredentialsDocument(in.Credentials.Path)
	if err != nil {
		return err
	}
	c, kubeErr := r.env.kubeClient()
	// A renewal not yet back from the backend (pushed, not yet fetched) is newer than the mounted files: its
	// refresh token is the live one, the mounted one may be retired already.
	if newer, ok := r.newerTokenDocument(ctx, c, kubeErr, namespace, name, creds.expiresAt); ok {
		doc = newer
		creds.accessToken, creds.refreshToken = newer[fileAccessToken], newer[fileRefreshToken]
		r.red.add(creds.accessToken)
		r.red.add(creds.refreshToken)
		creds.expiresAt = unixField(newer[fileExpireAt])
	}
	now := r.env.now()
	if !creds.expiresAt.IsZero() {
		r.res.TokenExpiresAt = creds.expiresAt.Format(time.RFC3339)
		if creds.expiresAt.After(now.Add(before)) {
			r.res.Totals = map[string]int64{"refreshed": 0}
			return nil
		}
	}
	if creds.refreshToken == "" {
		return inputError("credentials file %s is missing: the access token cannot be renewed; store the refresh token with the others",
			filepath.Join(in.Credentials.Path, fileRefreshToken))
	}
	t, err := platforms[in.Provider].refresh(ctx, r, in, creds)
	if err != nil {
		if errors.Is(err, provider.ErrReauthorize) {
			return fail(contract.ReasonReauthorize, fmt.Errorf("the refresh token expired or was revoked: re-authorize the seller account (%w)", err))
		}
		return err
	}
	r.red.add(t.AccessToken)
	r.red.add(t.RefreshToken)
	doc[fileAccessToken], doc[fileRefreshToken] = t.AccessToken, t.RefreshToken
	delete(doc, fileExpireAt)
	delete(doc, fileRefreshExpireAt)
	if !t.AccessTokenExpiresAt.IsZero() {
		doc[fileExpireAt] = strconv.FormatInt(t.AccessTokenExpiresAt.Unix(), 10)
		r.res.TokenExpiresAt = t.AccessTokenExpiresAt.UTC().Format(time.RFC3339)
	}
	if !t.RefreshTokenExpiresAt.IsZero() {
		doc[fileRefreshExpireAt] = strconv.FormatInt(t.RefreshTokenExpiresAt.Unix(), 10)
		r.res.RefreshTokenExpiresAt = t.RefreshTokenExpiresAt.UTC().Format(time.RFC3339)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return fail(contract.ReasonInternal, err)
	}
	if kubeErr != nil {
		return fail(contract.ReasonTokenSecret, fmt.Errorf("connect to the Kubernetes API: %w", kubeErr))
	}
	if err := r.writeTokenSecret(ctx, c, namespace, name, raw); err != nil {
		return err
	}
	r.res.Totals = map[string]int64{"refreshed": 1}
	return nil
}

// readCredentialsDocument reads every credential file of dir into the document the backend holds: one field per
// file. The files are those of the Secret's keys; the kubelet's own entries (..data and the like) are left out.
func readCredentialsDocument(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, inputError("credentials folder %s cannot be read", dir)
	}
	doc := map[string]string{}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, inputError("credentials file %s cannot be read", filepath.Join(dir, e.Name()))
		}
		doc[e.Name()] = strings.TrimSpace(string(raw))
	}
	return doc, nil
}

// newerTokenDocument returns the token Secret's document when it holds an access token expiring no earlier than
// than (the mounted one's expiry). No client, or any failure to read it, leaves the mounted files in charge.
func (r *runner) newerTokenDocument(ctx context.Context, c client.Client, kubeErr error, namespace, name string, than time.Time) (map[string]string, bool) {
	sec := &corev1.Secret{}
	if kubeErr != nil {
		return nil, false
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, sec); err != nil {
		return nil, false
	}
	doc := map[string]string{}
	if json.Unmarshal(sec.Data[contract.TokenSecretKey], &doc) != nil || doc[fileAccessToken] == "" || doc[fileRefreshToken] == "" {
		return nil, false
	}
	// Ties go to the token Secret: it holds only this integration's own latest renewal; a re-authorization in the
	// backend since then carries a later expiry.
	if exp := unixField(doc[fileExpireAt]); exp.IsZero() || exp.Before(than) || doc[fileAccessToken] == "" {
		return nil, false
	}
	return doc, true
}

// unixField reads a Unix-seconds credential field; zero when absent or malformed.
func unixField(v string) time.Time {
	secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || secs <= 0 || secs > maxUnixSeconds {
		return time.Time{}
	}
	return time.Unix(secs, 0).UTC()
}

// tokenWriteAttempts is how often the renewed credentials are offered to the API server: the platform has
// retired the old refresh token by then, so the new one must not be lost to a passing failure.
const tokenWriteAttempts = 4

// writeTokenSecret puts the renewed credentials document into the token Secret the operator created for it. A
// merge patch needs no read first: the Job's ServiceAccount may patch that one Secret and nothing else.
func (r *runner) writeTokenSecret(ctx context.Context, c client.Client, namespace, name string, doc []byte) error {
	patch, err := json.Marshal(map[string]any{"data": map[string][]byte{contract.TokenSecretKey: doc}})
	if err != nil {
		return fail(contract.ReasonInternal, err)
	}
	wait := time.Second
	for attempt := 1; ; attempt++ {
		err = c.Patch(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}, client.RawPatch(types.MergePatchType, patch))
		if err == nil || apierrors.IsNotFound(err) || apierrors.IsForbidden(err) || attempt == tokenWriteAttempts {
			break
		}
		select {
		case <-ctx.Done():
			return fail(contract.ReasonTokenSecret, ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
	switch {
	case err == nil:
		return nil
	case apierrors.IsNotFound(err):
		return fail(contract.ReasonTokenSecret, fmt.Errorf("token Secret %s/%s does not exist; the operator creates it before the Job", namespace, name))
	default:
		// The renewed tokens are lost with this run, and the platform may have retired the refresh token used:
		// the status says so, and a person may have to re-authorize the seller.
		return fail(contract.ReasonTokenSecret, fmt.Errorf("write the renewed tokens to Secret %s/%s (%d attempts): %s", namespace, name, tokenWriteAttempts, apierrors.ReasonForError(err)))
	}
}
