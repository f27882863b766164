package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/controllers"
	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/logging"
)

// defaultSubjectNamespace is where request create keeps the subject's Secret when neither -n nor the kubeconfig
// context names a namespace: a namespace only the privacy team can read.
const defaultSubjectNamespace = "privacy"

// identifierFlags are refused by request create: identifiers on the command line stay in shell history and
// the process list.
var identifierFlags = []string{"email", "buyer-id", "buyer-ids", "subject", "identifier"}

// requestOptions are what the request subcommands share.
type requestOptions struct {
	kube       *kube
	configPath string
	now        func() time.Time
}

func (o *requestOptions) bind(cmd *cobra.Command, withNamespace bool) {
	o.kube = addKubeFlags(cmd, withNamespace)
	cmd.Flags().StringVar(&o.configPath, "config", "", "the operator's configuration file, for its namespace prefix, export namespace and export TTL (default: the built-in defaults)")
	if o.now == nil {
		o.now = time.Now
	}
}

func (o *requestOptions) setup() (client.Client, *config.Config, error) {
	logging.Discard()
	cfg, err := config.Load(o.configPath)
	if err != nil {
		return nil, nil, err
	}
	c, err := o.kube.client()
	return c, cfg, err
}

func newRequestCommand(streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "request",
		Short: "File and follow data-subject requests (DataRequests)",
		Long: `File and follow data-subject requests as the privacy officer: they talk to the cluster as you, with
your kubeconfig. No command takes or prints a subject's identifiers except the Secret request create writes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newRequestCreateCommand(streams), newRequestStatusCommand(streams),
		newRequestReceiptCommand(streams), newRequestExportCommand(streams))
	return cmd
}

// noArgsQuiet refuses positional arguments without repeating them: a stray word could be an identifier.
func noArgsQuiet(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &usageError{fmt.Errorf("unexpected argument %d: identifiers are read from --subject-file or stdin, never from the command line", len(args))}
	}
	return nil
}

// requestName takes the one argument, a DataRequest's name.
func requestName(_ *cobra.Command, args []string) error {
	if len(args) != 1 {
		return &usageError{fmt.Errorf("want the DataRequest's name, got %d arguments", len(args))}
	}
	return nil
}

type createOptions struct {
	requestOptions
	tenant, requestType, jurisdiction, name, receivedAt, subjectFile, extension string
	wait                                                                        time.Duration
	refused                                                                     []string
}

func newRequestCreateCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &createOptions{}
	cmd := &cobra.Command{
		Use:   "create --tenant T --type TYPE --jurisdiction J [--subject-file F | < F]",
		Short: "File a DataRequest: the subject's Secret from a file or stdin, and the request pointing at it",
		Long: `File a data-subject request. The subject's identifiers are read from --subject-file, or stdin, as YAML or
JSON — never from the command line:

  email: jane.doe@buyer.example
  buyer_ids: ["TikTokShop:7000123456789"]
  corrections: {phone: "+44 20 7946 0000"}    # Rectification only

They go into a Secret <name>-subject in -n (default: the kubeconfig context's namespace, else "privacy"), owned
by the DataRequest so that deleting the request deletes it. Prints the request's name and its deadlines, as the
operator computes them.`,
		Example: `  workspace-operator request create --tenant acme --type Erasure --jurisdiction GDPR < jane.yaml`,
		// Before the required flags are checked: an identifier on the command line is the first thing to say.
		Args: func(cmd *cobra.Command, args []string) error {
			for _, f := range identifierFlags {
				if cmd.Flags().Changed(f) {
					return &usageError{fmt.Errorf("--%s is refused: identifiers are read from --subject-file or stdin, never from the command line (it stays in shell history and the process list)", f)}
				}
			}
			return noArgsQuiet(cmd, args)
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), streams) },
	}
	fs := cmd.Flags()
	fs.StringVar(&o.tenant, "tenant", "", "the Tenant whose data the request concerns (required)")
	fs.StringVar(&o.requestType, "type", "", "Access, Rectification, Erasure, Restriction or Objection (required)")
	fs.StringVar(&o.jurisdiction, "jurisdiction", "", "GDPR, UKGDPR, CCPA, LGPD, PIPEDA or VCDPA (required)")
	fs.StringVar(&o.name, "name", "", "the DataRequest's name (default: req-<date>-<random>)")
	fs.StringVar(&o.receivedAt, "received-at", "", "when the request was received, RFC 3339 (default: now)")
	fs.StringVar(&o.extension, "extension-reason", "", "extend the deadline as the jurisdiction allows, for this reason")
	fs.StringVar(&o.subjectFile, "subject-file", "-", "file holding the subject's identifiers; - is stdin")
	fs.DurationVar(&o.wait, "wait", 0, "wait this long for the operator to record the deadlines in status")
	for _, f := range identifierFlags {
		fs.StringSliceVar(&o.refused, f, nil, "refused: identifiers come from --subject-file or stdin")
		_ = fs.MarkHidden(f)
	}
	for _, f := range []string{"tenant", "type", "jurisdiction"} {
		_ = cmd.MarkFlagRequired(f)
	}
	o.bind(cmd, true)
	return cmd
}

func (o *createOptions) run(ctx context.Context, streams genericiooptions.IOStreams) error {
	dr := &workspacesv1alpha1.DataRequest{Spec: workspacesv1alpha1.DataRequestSpec{
		TenantRef:    workspacesv1alpha1.TenantReference{Name: o.tenant},
		Type:         workspacesv1alpha1.RequestType(o.requestType),
		Jurisdiction: workspacesv1alpha1.Jurisdiction(o.jurisdiction),
	}}
	if err := checkEnum("--type", o.requestType, "Access", "Rectification", "Erasure", "Restriction", "Objection"); err != nil {
		return err
	}
	if err := checkEnum("--jurisdiction", o.jurisdiction, "GDPR", "UKGDPR", "CCPA", "LGPD", "PIPEDA", "VCDPA"); err != nil {
		return err
	}
	if o.receivedAt != "" {
		t, err := time.Parse(time.RFC3339, o.receivedAt)
		if err != nil {
			return &usageError{fmt.Errorf("--received-at %q is not an RFC 3339 time such as 2026-11-28T09:00:00Z", o.receivedAt)}
		}
		dr.Spec.ReceivedAt = &metav1.Time{Time: t.UTC()}
	}
	if o.extension != "" {
		dr.Spec.Extension = &workspacesv1alpha1.Extension{Reason: o.extension}
	}
	dr.Name = o.name
	if dr.Name == "" {
		dr.Name = "req-" + o.now().UTC().Format("20060102") + "-" + rand.String(5)
	}
	in, source, closeIn, err := openSubject(o.subjectFile, streams.In, streams.ErrOut)
	if err != nil {
		return err
	}
	data, err := readSubject(in, source, dr.Spec.Type == workspacesv1alpha1.RequestRectification)
	closeIn()
	if err != nil {
		return err
	}
	c, _, err := o.setup()
	if err != nil {
		return err
	}
	ns := o.kube.namespace(defaultSubjectNamespace)

	// The Secret first: the operator reads it as soon as the request exists. It is owned by the request once
	// the request has a UID.
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: dr.Name + "-subject", Namespace: ns}, Type: corev1.SecretTypeOpaque, Data: data}
	if err := c.Create(ctx, secret); err != nil {
		return fmt.Errorf("creating the subject Secret %s/%s: %w", ns, secret.Name, err)
	}
	dr.Spec.Subject.SecretRef = workspacesv1alpha1.SecretReference{Name: secret.Name, Namespace: ns}
	if err := c.Create(ctx, dr); err != nil {
		if derr := c.Delete(ctx, secret); derr != nil {
			return fmt.Errorf("creating the DataRequest: %w; the subject Secret %s/%s stays: delete it", err, ns, secret.Name)
		}
		return fmt.Errorf("creating the DataRequest: %w", err)
	}
	owner := metav1.OwnerReference{APIVersion: workspacesv1alpha1.GroupVersion.String(), Kind: "DataRequest", Name: dr.Name, UID: dr.UID}
	patch := client.MergeFrom(secret.DeepCopy())
	secret.OwnerReferences = append(secret.OwnerReferences, owner)
	if err := c.Patch(ctx, secret, patch); err != nil {
		fmt.Fprintf(streams.ErrOut, "warning: the subject Secret %s/%s is not owned by the request (%v): delete it with the request\n", ns, secret.Name, err)
	}

	d := controllers.DeadlinesOf(dr)
	if o.wait > 0 {
		if recorded, err := waitForDeadlines(ctx, c, dr.Name, o.wait); err == nil {
			d = recorded
		}
	}
	fmt.Fprintf(streams.Out, "datarequest/%s created: %s for tenant %s under %s\n", dr.Name, dr.Spec.Type, dr.Spec.TenantRef.Name, dr.Spec.Jurisdiction)
	fmt.Fprintf(streams.Out, "subject Secret: %s/%s (deleted with the request)\n", ns, secret.Name)
	fmt.Fprintf(streams.Out, "received:       %s\n", formatTime(received(dr)))
	if d.AcknowledgeBy != nil {
		fmt.Fprintf(streams.Out, "acknowledge by: %s\n", formatTime(d.AcknowledgeBy))
	}
	fmt.Fprintf(streams.Out, "due:            %s\n", formatTime(d.DueAt))
	if d.ExtendedDueAt != nil {
		fmt.Fprintf(streams.Out, "extended due:   %s\n", formatTime(d.ExtendedDueAt))
	}
	return nil
}

// waitForDeadlines waits for the operator to record the request's deadlines in status.
func waitForDeadlines(ctx context.Context, c client.Client, name string, wait time.Duration) (controllers.Deadlines, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		dr := &workspacesv1alpha1.DataRequest{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, dr); err == nil && dr.Status.DueAt != nil {
			return controllers.Deadlines{AcknowledgeBy: dr.Status.AcknowledgeBy, DueAt: dr.Status.DueAt, ExtendedDueAt: dr.Status.ExtendedDueAt}, nil
		}
		select {
		case <-ctx.Done():
			return controllers.Deadlines{}, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func checkEnum(flag, value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return &usageError{fmt.Errorf("%s %q: want one of %s", flag, value, strings.Join(allowed, ", "))}
}

// received is when the request was received: spec.receivedAt, else its creation.
func received(dr *workspacesv1alpha1.DataRequest) *metav1.Time {
	if dr.Spec.ReceivedAt != nil {
		return dr.Spec.ReceivedAt
	}
	t := dr.CreationTimestamp
	return &t
}

func formatTime(t *metav1.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// getRequest reads a DataRequest, saying plainly when there is none.
func getRequest(ctx context.Context, c client.Client, name string) (*workspacesv1alpha1.DataRequest, error) {
	dr := &workspacesv1alpha1.DataRequest{}
	if err := c.Get(ctx, client.ObjectKey{Name: name}, dr); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("no DataRequest %q", name)
		}
		return nil, err
	}
	return dr, nil
}

func newRequestStatusCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &requestOptions{}
	var output string
	cmd := &cobra.Command{
		Use:   "status NAME",
		Short: "Show a DataRequest's phase, deadlines, Jobs, result and receipt (no subject identifiers)",
		Args:  requestName,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkEnum("-o", output, "table", "json", "yaml"); err != nil {
				return err
			}
			c, _, err := o.setup()
			if err != nil {
				return err
			}
			dr, err := getRequest(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			v := viewOf(dr, o.now())
			if output == "table" {
				return v.print(streams.Out)
			}
			return printStructured(streams.Out, output, v)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, json or yaml")
	o.bind(cmd, false)
	return cmd
}

// deliveredAnnotation records on a DataRequest when its Access export was written out by request export.
const deliveredAnnotation = "workspaces.alitok.ai/export-delivered-at"

func newRequestReceiptCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &requestOptions{}
	var resultFile string
	cmd := &cobra.Command{
		Use:   "receipt NAME",
		Short: "Print a DataRequest's receipt and verify it against its Job's result",
		Long: `Print the request's receiptSHA256 and how it is made. For a request answered by a Job it is the SHA-256 of
the worker's JSON result, byte for byte as the Job's Pod left it in its termination message: while that Pod
exists (until the Job's time to live ends) it is checked and "verified" or "mismatch" printed; a result saved
earlier can be checked with --result-file. Exits 1 on a mismatch.`,
		Args: requestName,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, cfg, err := o.setup()
			if err != nil {
				return err
			}
			dr, err := getRequest(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return printReceipt(cmd.Context(), streams.Out, c, cfg, dr, resultFile)
		},
	}
	cmd.Flags().StringVar(&resultFile, "result-file", "", "a saved copy of the Job's result (its termination message) to verify the receipt against")
	o.bind(cmd, false)
	return cmd
}

type exportOptions struct {
	requestOptions
	file string
}

func newRequestExportCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export NAME -o FILE",
		Short: "Write an Access request's export to a file, once, and delete it from the cluster",
		Long: `Write an answered Access request's export (the export Secret's export.json) to FILE, created with mode
0600; an existing FILE is never overwritten. The export is handed over once: after the file is written the
request is annotated ` + deliveredAnnotation + ` and the export Secret is deleted, so the subject's data
does not linger in the cluster. Refused once delivered, and after the export's time to live (privacy.exportTTL).`,
		Args: requestName,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.file == "" {
				return &usageError{errors.New("-o FILE is required")}
			}
			return o.run(cmd.Context(), streams.Out, args[0])
		},
	}
	cmd.Flags().StringVarP(&o.file, "output", "o", "", "file to write the export to; must not exist")
	o.bind(cmd, false)
	return cmd
}

// patchAnnotation merge-patches one annotation of a DataRequest.
func patchAnnotation(ctx context.Context, c client.Client, dr *workspacesv1alpha1.DataRequest, key, value string) error {
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, key, value)
	return c.Patch(ctx, dr, client.RawPatch(types.MergePatchType, patch))
}
