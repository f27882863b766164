package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/alitok/workspace-operator/controllers"
)

// maxSubjectFile bounds what request create reads as the subject's identifiers.
const maxSubjectFile = 64 << 10

// subjectFile is what request create reads from --subject-file or stdin: the subject's identifiers, and for a
// Rectification the corrections.
//
//	email: jane.doe@buyer.example
//	buyer_ids: ["TikTokShop:7000123456789"]      # <provider>:<buyer id>
//	corrections: {phone: "+44 20 7946 0000"}     # Rectification only
type subjectFile struct {
	Email       string         `json:"email,omitempty"`
	BuyerIDs    []string       `json:"buyer_ids,omitempty"`
	Corrections map[string]any `json:"corrections,omitempty"`
}

// readSubject reads and checks the subject's identifiers. Errors never quote the content.
func readSubject(r io.Reader, source string, rectification bool) (map[string][]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxSubjectFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading the subject from %s: %w", source, err)
	}
	if len(raw) > maxSubjectFile {
		return nil, fmt.Errorf("the subject in %s is larger than %d bytes", source, maxSubjectFile)
	}
	var s subjectFile
	if err := yaml.UnmarshalStrict(raw, &s); err != nil {
		// The parser's message may quote a line of the file: say only where and what is wanted.
		return nil, fmt.Errorf("the subject in %s is not YAML or JSON with the keys email, buyer_ids and corrections", source)
	}
	data := map[string][]byte{}
	if e := strings.TrimSpace(s.Email); e != "" {
		if !strings.Contains(e, "@") {
			return nil, fmt.Errorf("the email in %s is not an email address", source)
		}
		data[controllers.SubjectEmailKey] = []byte(e)
	}
	var ids []string
	for i, id := range s.BuyerIDs {
		id = strings.TrimSpace(id)
		if provider, buyer, ok := strings.Cut(id, ":"); !ok || provider == "" || buyer == "" {
			return nil, fmt.Errorf("buyer_ids[%d] in %s is not <provider>:<buyer id>", i, source)
		}
		ids = append(ids, id)
	}
	if len(ids) > 0 {
		data[controllers.SubjectBuyerIDsKey] = []byte(strings.Join(ids, "\n") + "\n")
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("the subject in %s has neither email nor buyer_ids: there is no one to look for", source)
	}
	switch {
	case rectification && len(s.Corrections) == 0:
		return nil, fmt.Errorf("a Rectification needs the corrections to apply: add corrections to %s", source)
	case !rectification && len(s.Corrections) > 0:
		return nil, errors.New("corrections are for a Rectification only")
	case rectification:
		c, err := json.Marshal(s.Corrections)
		if err != nil {
			return nil, fmt.Errorf("the corrections in %s: %w", source, err)
		}
		data[controllers.SubjectCorrectionsKey] = c
	}
	return data, nil
}

// openSubject opens --subject-file, or stdin for "" and "-"; on a terminal it says what it waits for.
func openSubject(path string, stdin io.Reader, errOut io.Writer) (io.Reader, string, func(), error) {
	if path == "" || path == "-" {
		if f, ok := stdin.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				fmt.Fprintln(errOut, "reading the subject (email: …, buyer_ids: […]) from stdin; end with Ctrl-D")
			}
		}
		return stdin, "stdin", func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", nil, fmt.Errorf("--subject-file: %w", err)
	}
	return f, path, func() { f.Close() }, nil
}
