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

// tokens are what a platform's refresh call returns.
type tokens struct {
	accessToken, refreshToken              string
	accessExpiresAt, refreshTokenExpiresAt time.Time
}

// refreshFunc renews one platform's access token with its refresh token.
type refreshFunc func(ctx context.Context, r *runner, in *contract.Refresh, c credentials) (tokens, error)

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
	doc, err := readCredentialsDocument(in.Credentials.Path)
	if err != nil {
		return err
	}
	t, err := platforms[in.Provider].refresh(ctx, r, in, creds)
	if err != nil {
		if errors.Is(err, provider.ErrReauthorize) {
			return fail(contract.ReasonReauthorize, fmt.Errorf("the refresh token expired or was revoked: re-authorize the seller account (%w)", err))
		}
		return err
	}
	r.red.add(t.accessToken)
	r.red.add(t.refreshToken)
	doc[fileAccessToken], doc[fileRefreshToken] = t.accessToken, t.refreshToken
	delete(doc, fileExpireAt)
	delete(doc, fileRefreshExpireAt)
	if !t.accessExpiresAt.IsZero() {
		doc[fileExpireAt] = strconv.FormatInt(t.accessExpiresAt.Unix(), 10)
		r.res.TokenExpiresAt = t.accessExpiresAt.UTC().Format(time.RFC3339)
	}
	if !t.refreshTokenExpiresAt.IsZero() {
		doc[fileRefreshExpireAt] = strconv.FormatInt(t.refreshTokenExpiresAt.Unix(), 10)
		r.res.RefreshTokenExpiresAt = t.refreshTokenExpiresAt.UTC().Format(time.RFC3339)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return fail(contract.ReasonInternal, err)
	}
	if err := r.writeTokenSecret(ctx, namespace, name, raw); err != nil {
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

// writeTokenSecret puts the renewed credentials document into the token Secret the operator created for it. A
// merge patch needs no read first: the Job's ServiceAccount may patch that one Secret and nothing else.
func (r *runner) writeTokenSecret(ctx context.Context, namespace, name string, doc []byte) error {
	c, err := r.env.kubeClient()
	if err != nil {
		return fail(contract.ReasonTokenSecret, fmt.Errorf("connect to the Kubernetes API: %w", err))
	}
	patch, err := json.Marshal(map[string]any{"data": map[string][]byte{contract.TokenSecretKey: doc}})
	if err != nil {
		return fail(contract.ReasonInternal, err)
	}
	err = c.Patch(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}, client.RawPatch(types.MergePatchType, patch))
	switch {
	case err == nil:
		return nil
	case apierrors.IsNotFound(err):
		return fail(contract.ReasonTokenSecret, fmt.Errorf("token Secret %s/%s does not exist; the operator creates it before the Job", namespace, name))
	default:
		// The new tokens are lost with this run; the old ones stay valid until they expire, and the next run
		// renews them again.
		return fail(contract.ReasonTokenSecret, fmt.Errorf("write the renewed tokens to Secret %s/%s: %s", namespace, name, apierrors.ReasonForError(err)))
	}
}
