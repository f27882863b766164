package contract

import (
	"flag"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// Mounted is a file or directory the worker reads, which the operator mounts read-only from a Secret or ConfigMap.
type Mounted struct {
	// Path is what the worker reads: the flag's value.
	Path string
	// From is what the operator mounts there; nil on the worker's side and for paths given by hand.
	From *Source
}

// Source is a Secret or ConfigMap mounted read-only as a directory of files, one per key.
type Source struct {
	// Volume is the Pod's volume name.
	Volume string
	// Dir is the mount point.
	Dir string
	// Secret or ConfigMap names the object mounted; one of the two is set.
	Secret, ConfigMap string
	// Optional lets the Pod start while the object does not exist yet.
	Optional bool
}

// Mounted and Keep are read from the command line as they are.
var (
	_ flag.Value = (*Mounted)(nil)
	_ flag.Value = (*Keep)(nil)
)

// String is the path, as a flag value.
func (m *Mounted) String() string { return m.Path }

// Set reads the path from a flag value; what it is mounted from is the operator's business, not the command line's.
func (m *Mounted) Set(v string) error {
	m.Path, m.From = strings.TrimSpace(v), nil
	return nil
}

// Where the operator mounts a run's inputs, and the objects it mounts them from.
const (
	databaseDir    = "/var/run/workspace/database"
	hmacKeyDir     = "/var/run/workspace/hmac"
	subjectDir     = "/var/run/workspace/subject"
	restrictionDir = "/var/run/workspace/restrictions"
	credentialsDir = "/var/run/workspace/credentials"

	// DatabaseSecret is the tenant's Secret holding the DSN of its PostgreSQL schema under DatabaseKey.
	DatabaseSecret = "tenant-database"
	DatabaseKey    = "dsn"
	// HMACKeySecret is the tenant's Secret holding the key that pseudonymizes subject identifiers under
	// HMACKeyKey.
	HMACKeySecret = "tenant-hmac-key"
	HMACKeyKey    = "key"
	// RestrictionListConfigMap is the tenant's ConfigMap of restricted subjects' pseudonyms, one key per
	// Restriction or Objection DataRequest; every sync reads it and skips them.
	RestrictionListConfigMap = "restriction-list"
	// ExportSecretKey is the data key of an Access request's export Secret, which the export task fills.
	ExportSecretKey = "export.json"
)

// TenantDatabase is the tenant's database DSN file.
func TenantDatabase() Mounted {
	return Mounted{Path: path.Join(databaseDir, DatabaseKey),
		From: &Source{Volume: "database", Dir: databaseDir, Secret: DatabaseSecret}}
}

// TenantHMACKey is the tenant's HMAC key file.
func TenantHMACKey() Mounted {
	return Mounted{Path: path.Join(hmacKeyDir, HMACKeyKey),
		From: &Source{Volume: "hmac-key", Dir: hmacKeyDir, Secret: HMACKeySecret}}
}

// RestrictionList is the folder of the tenant's restriction list; a tenant without one yet has an empty folder.
func RestrictionList() Mounted {
	return Mounted{Path: restrictionDir,
		From: &Source{Volume: "restrictions", Dir: restrictionDir, ConfigMap: RestrictionListConfigMap, Optional: true}}
}

// Credentials is the folder of an Integration's credentials, one file per key of the Secret.
func Credentials(secret string) Mounted {
	return Mounted{Path: credentialsDir, From: &Source{Volume: "credentials", Dir: credentialsDir, Secret: secret}}
}

// SubjectFiles is the folder of a data subject's identifiers (and corrections), one file per key of the Secret.
func SubjectFiles(secret string) Mounted {
	return Mounted{Path: subjectDir, From: &Source{Volume: "subject", Dir: subjectDir, Secret: secret}}
}

// Keep is a tenant's retention rules: per category, the days its records are kept.
type Keep []KeepRule

// KeepRule keeps one category's records for Days days.
type KeepRule struct {
	Category workspacesv1alpha1.DataCategory
	Days     int
}

// String renders the rules as <category>=<days>, comma-separated, in the API's category order.
func (k *Keep) String() string {
	rules := slices.Clone(*k)
	slices.SortStableFunc(rules, func(a, b KeepRule) int {
		return slices.Index(workspacesv1alpha1.AllCategories, a.Category) - slices.Index(workspacesv1alpha1.AllCategories, b.Category)
	})
	parts := make([]string, len(rules))
	for i, r := range rules {
		parts[i] = fmt.Sprintf("%s=%d", r.Category, r.Days)
	}
	return strings.Join(parts, ",")
}

// Set parses "orders=2555,logs=30", refusing unknown categories, negative days and a category named twice.
func (k *Keep) Set(v string) error {
	var out Keep
	for _, rule := range strings.Split(v, ",") {
		if rule = strings.TrimSpace(rule); rule == "" {
			continue
		}
		c, d, ok := strings.Cut(rule, "=")
		days, err := strconv.Atoi(strings.TrimSpace(d))
		if !ok || err != nil || days < 0 {
			return fmt.Errorf("%q is not <category>=<days> with days a non-negative integer", rule)
		}
		cat := workspacesv1alpha1.DataCategory(strings.TrimSpace(c))
		if err := checkCategory(cat); err != nil {
			return err
		}
		if slices.ContainsFunc(out, func(r KeepRule) bool { return r.Category == cat }) {
			return fmt.Errorf("%s is named twice", cat)
		}
		out = append(out, KeepRule{Category: cat, Days: days})
	}
	*k = out
	return nil
}

// checkCategory refuses an unknown data category: a typo in a hold must not silently protect nothing.
func checkCategory(c workspacesv1alpha1.DataCategory) error {
	if slices.Contains(workspacesv1alpha1.AllCategories, c) {
		return nil
	}
	known := make([]string, len(workspacesv1alpha1.AllCategories))
	for i, k := range workspacesv1alpha1.AllCategories {
		known[i] = string(k)
	}
	return fmt.Errorf("unknown data category %q (known: %s)", c, strings.Join(known, ", "))
}
