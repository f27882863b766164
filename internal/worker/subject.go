package worker

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"

	"github.com/alitok/workspace-operator/internal/store"
)

// The files of a data subject's directory, as the DataRequest's subject Secret mounts them.
const (
	fileEmail       = "email"
	fileBuyerIDs    = "buyer_ids"
	fileCorrections = "corrections.json"
)

// providers are the platforms whose buyer IDs a subject may list, as the Integration API names them.
var providers = func() []string {
	out := make([]string, len(workspacesv1alpha1.Providers))
	for i, p := range workspacesv1alpha1.Providers {
		out[i] = string(p)
	}
	return out
}()

// readSubject reads the subject's identifiers from dir and returns their pseudonyms, as a sync computed them for
// the subject's records: the email with kind "email", each buyer ID with its provider's name as the kind. The
// identifiers and pseudonyms are registered for redaction; errors name a file or a line number, never a value.
func (r *runner) readSubject(dir string, key []byte) ([]string, error) {
	var pseudonyms []string
	add := func(p string) {
		r.red.add(p)
		if !slices.Contains(pseudonyms, p) {
			pseudonyms = append(pseudonyms, p)
		}
	}

	emailPath := filepath.Join(dir, fileEmail)
	email, err := optional(readText(emailPath, "subject"))
	if err != nil && !isEmptyFile(err) {
		return nil, err
	}
	if email != "" {
		r.red.add(email, strings.ToLower(email))
		if !plausibleEmail(email) {
			return nil, inputError("subject file %s does not hold an email address", emailPath)
		}
		add(store.Pseudonymize(key, store.KindEmail, email))
	}

	idsPath := filepath.Join(dir, fileBuyerIDs)
	raw, err := readInput(idsPath, "subject")
	if err != nil && !isMissing(err) {
		return nil, err
	}
	for i, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		r.red.add(line)
		provider, id, ok := strings.Cut(line, ":")
		id = strings.TrimSpace(id)
		r.red.add(id)
		if !ok || !slices.Contains(providers, strings.TrimSpace(provider)) || id == "" || strings.ContainsAny(id, " \t\r") {
			return nil, inputError("subject file %s: line %d is not <provider>:<buyer id> with provider one of %s",
				idsPath, i+1, strings.Join(providers, ", "))
		}
		add(buyerPseudonym(key, strings.TrimSpace(provider), id, ""))
	}

	if len(pseudonyms) == 0 {
		return nil, inputError("subject directory %s holds no identifier: want a non-empty %s file or %s lines "+
			"<provider>:<buyer id>", dir, fileEmail, fileBuyerIDs)
	}
	return pseudonyms, nil
}

// PseudonymizeSubject returns the pseudonyms of a subject's identifiers — an email and lines
// "<provider>:<buyer id>" as in a subject Secret — as syncs store them. The operator uses it for the
// restriction list, so what it restricts and what a sync skips are the same pseudonyms. Lines that are not
// "<provider>:<buyer id>" are skipped; the worker's own reading of the subject refuses them.
func PseudonymizeSubject(key []byte, email, buyerIDs string) []string {
	var out []string
	if email = strings.TrimSpace(email); email != "" {
		out = append(out, store.Pseudonymize(key, store.KindEmail, email))
	}
	for _, line := range strings.Split(buyerIDs, "\n") {
		provider, id, ok := strings.Cut(strings.TrimSpace(line), ":")
		if p := buyerPseudonym(key, strings.TrimSpace(provider), id, ""); ok && p != "" && slices.Contains(providers, strings.TrimSpace(provider)) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// buyerPseudonym is the pseudonym a record's buyer is stored under: by the platform's buyer ID when there is one,
// by email otherwise, "" when the platform sent neither. Syncs and data-subject requests both use it, so they
// agree.
func buyerPseudonym(key []byte, provider, buyerID, email string) string {
	if buyerID = strings.TrimSpace(buyerID); buyerID != "" {
		return store.Pseudonymize(key, provider, buyerID)
	}
	if strings.TrimSpace(email) != "" {
		return store.Pseudonymize(key, store.KindEmail, email)
	}
	return ""
}

// plausibleEmail is a shape check, not validation: it catches a wrong file (a name, a buyer ID) in the email slot.
func plausibleEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" && !strings.ContainsAny(s, " \t") && !strings.Contains(domain, "@")
}

// readCorrections reads a rectification's corrections: a JSON object of field names to corrected values. The
// values are personal data and registered for redaction; unknown fields are left for the store to refuse.
func (r *runner) readCorrections(dir string) (map[string]string, error) {
	path := filepath.Join(dir, fileCorrections)
	b, err := readInput(path, "corrections")
	if err != nil {
		return nil, err
	}
	var corrections map[string]string
	// The decoder's message is not passed on: it may quote a piece of the file.
	if err := json.Unmarshal(b, &corrections); err != nil {
		return nil, inputError("corrections file %s is malformed: want a JSON object of field names to string values", path)
	}
	for _, v := range corrections {
		r.red.add(v)
	}
	if len(corrections) == 0 {
		return nil, inputError("corrections file %s holds no correction", path)
	}
	return corrections, nil
}
