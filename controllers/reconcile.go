package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// The shape the three reconcilers share, after Flux's source-controller and Cluster API:
//
//	Reconcile reads the object, makes a patcher and defers its status patch, adds the finalizer (or runs the
//	deletion path), runs its ordered steps, summarizes the outcome into Ready/Reconciling/Stalled, and turns the
//	outcome into a result with resultOf.
//
// A pass ends in one of four ways, each an error value a step returns:
//   - nil: done; Ready says what holds.
//   - a waitError (waiting): not a failure — the object waits for something outside the pass (a Job, a namespace
//     being deleted, credentials being fetched). Reconciling=True says what, and the object is looked at again at
//     the time the error carries (or when a watched object changes).
//   - a stalledError (stalled): bad input a person must fix. Stalled=True with an actionable message, a Warning
//     event, and no retry (reconcile.TerminalError) unless the error asks for a slow recheck.
//   - anything else: transient; controller-runtime retries with backoff.

// waitError ends a pass that waits for something outside it. It is not a failure.
type waitError struct {
	Reason  string
	Message string
	// After is when to look again; zero leaves it to the watches.
	After time.Duration
}

func (e *waitError) Error() string { return e.Message }

// waiting says the pass waits: why (reason), for what (the message) and when to look again (zero: on a watch
// event only).
func waiting(after time.Duration, reason, format string, args ...any) error {
	return &waitError{Reason: reason, Message: fmt.Sprintf(format, args...), After: after}
}

func asWaiting(err error) (*waitError, bool) {
	var w *waitError
	ok := errors.As(err, &w)
	return w, ok
}

// stalledError is bad input: the reconciler cannot progress until a person changes something. It becomes
// Stalled=True with its reason and message, a Warning event, and no retry — or a slow recheck when what is
// missing may appear without the object changing (Recheck).
type stalledError struct {
	Reason  string
	Message string
	Recheck time.Duration
}

func (e *stalledError) Error() string { return e.Message }

func stalled(reason, format string, args ...any) error {
	return &stalledError{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// asStalled returns the stalledError in err's chain, if any.
func asStalled(err error) (*stalledError, bool) {
	var s *stalledError
	ok := errors.As(err, &s)
	return s, ok
}

// requeue collects the earliest time the steps of one pass asked to be woken at, besides any wait: a due date,
// a hold's expiry, a recheck of what the pass just wrote.
type requeue struct {
	after time.Duration
}

func (q *requeue) requeueAfter(d time.Duration) {
	if d <= 0 {
		d = time.Second
	}
	if q.after == 0 || d < q.after {
		q.after = d
	}
}

// resultOf turns how a pass ended into what controller-runtime does next.
func resultOf(q requeue, err error) (ctrl.Result, error) {
	if w, ok := asWaiting(err); ok {
		if w.After > 0 {
			q.requeueAfter(w.After)
		}
		return ctrl.Result{RequeueAfter: q.after}, nil
	}
	if s, ok := asStalled(err); ok {
		if s.Recheck > 0 {
			q.requeueAfter(s.Recheck)
			return ctrl.Result{RequeueAfter: q.after}, nil
		}
		return ctrl.Result{}, reconcile.TerminalError(err)
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: q.after}, nil
}

// patcher writes what a pass changed on its object: finalizers when the pass adds or removes them, and the status
// once, when the pass ends (Reconcile defers done), only if it changed — a pass that changed nothing sends
// nothing.
type patcher[T client.Object] struct {
	c      client.Client
	base   T
	status func(T) any
}

func newPatcher[T client.Object](c client.Client, obj T, status func(T) any) *patcher[T] {
	return &patcher[T]{c: c, base: obj.DeepCopyObject().(T), status: status}
}

// addFinalizer adds a finalizer, unless the object has it, in a patch of its own.
func (p *patcher[T]) addFinalizer(ctx context.Context, obj T, name string) error {
	return p.patchFinalizers(ctx, obj, name, controllerutil.AddFinalizer)
}

// removeFinalizer removes a finalizer, if the object has it; without other finalizers the object is then gone.
func (p *patcher[T]) removeFinalizer(ctx context.Context, obj T, name string) error {
	return p.patchFinalizers(ctx, obj, name, controllerutil.RemoveFinalizer)
}

func (p *patcher[T]) patchFinalizers(ctx context.Context, obj T, name string, change func(client.Object, string) bool) error {
	// The patch is sent from a copy, so that the server's answer does not overwrite the status the pass is
	// building in obj.
	next := obj.DeepCopyObject().(T)
	if !change(next, name) {
		return nil
	}
	// Optimistic lock: the list is replaced whole, so a finalizer another controller changed meanwhile must not
	// be undone; a conflict retries the pass.
	if err := p.c.Patch(ctx, next, client.MergeFromWithOptions(p.base, client.MergeFromWithOptimisticLock{})); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("updating finalizer %s: %w", name, err))
	}
	for _, o := range []client.Object{obj, p.base} {
		o.SetFinalizers(next.GetFinalizers())
		o.SetResourceVersion(next.GetResourceVersion())
	}
	return nil
}

// done writes the status when the pass changed it. A failed write replaces the pass's own error: the retry it
// brings runs the pass again, which meets its own error again.
func (p *patcher[T]) done(ctx context.Context, obj T, result *ctrl.Result, retErr *error) {
	if equality.Semantic.DeepEqual(p.status(p.base), p.status(obj)) {
		return
	}
	if err := p.c.Status().Patch(ctx, obj, client.MergeFrom(p.base)); client.IgnoreNotFound(err) != nil {
		*result, *retErr = ctrl.Result{}, fmt.Errorf("patching status: %w", err)
	}
}

// step is one named step of a pass. It returns stop=true when the pass must end after it with what it reported
// (a purged workspace, which nothing may recreate), or an error, which ends the pass too.
type step[S any] func(ctx context.Context, s S) (stop bool, err error)

// always adapts a step that never stops the pass by itself.
func always[S any](f func(context.Context, S) error) step[S] {
	return func(ctx context.Context, s S) (bool, error) { return false, f(ctx, s) }
}

// runSteps runs steps in order until one stops the pass or fails.
func runSteps[S any](ctx context.Context, s S, steps ...step[S]) error {
	for _, run := range steps {
		if stop, err := run(ctx, s); stop || err != nil {
			return err
		}
	}
	return nil
}
