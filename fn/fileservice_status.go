package fn

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/fsreport"
)

// conditionFileServiceReady says whether the reconciler in the DittoFS pod
// applied the declared file service. It is the only place a reconciler
// error shows: the XR's Ready (its composed objects) and the database and
// workload conditions do not depend on it, and the pod stays in its
// Services (the reconciler's readiness is sticky once it applied the
// declaration the first time).
const conditionFileServiceReady = "FileServiceReady"

// Reasons of FileServiceReady.
const (
	reasonApplied        = "Applied"
	reasonPending        = "Pending"
	reasonReconcileError = "ReconcileError"
	reasonInvalidReport  = "InvalidReport"
)

// composeFileServiceStatus composes the status channel (the ConfigMap the
// reconciler reports in, its ServiceAccount, Role and RoleBinding), and
// sets status.shares and FileServiceReady from what the reconciler
// reported. declaredCM is the composed <xr>-fileservice: its hash tells a
// report on the current declaration from a stale one.
func (c *composer) composeFileServiceStatus(declaredCM *corev1.ConfigMap) error {
	if err := c.composeStatusChannel(); err != nil {
		return err
	}
	c.status.Shares = build.ShareStatuses(c.ds, c.in)
	current := fsreport.ConfigHash([]byte(declaredCM.Data[spec.DeclaredConfigKey]))
	v := judgeReport(c.observedReport(), current)
	for i := range c.status.Shares {
		c.status.Shares[i].Applied = v.applied[c.status.Shares[i].Name]
	}
	if v.ready {
		response.ConditionTrue(c.rsp, conditionFileServiceReady, v.reason).WithMessage(v.message).TargetCompositeAndClaim()
		return nil
	}
	response.ConditionFalse(c.rsp, conditionFileServiceReady, v.reason).WithMessage(v.message).TargetCompositeAndClaim()
	return nil
}

func (c *composer) composeStatusChannel() error {
	if cm := build.FileServiceStatusConfigMap(c.ds); cm != nil {
		if err := c.add(keyFileServiceStatus, cm, c.readyOnceObserved(keyFileServiceStatus)); err != nil {
			return err
		}
	}
	if sa := build.ReconcilerServiceAccount(c.ds); sa != nil {
		if err := c.add(keyReconcilerAccount, sa, c.readyOnceObserved(keyReconcilerAccount)); err != nil {
			return err
		}
	}
	if r := build.ReconcilerRole(c.ds); r != nil {
		if err := c.add(keyReconcilerRole, r, c.readyOnceObserved(keyReconcilerRole)); err != nil {
			return err
		}
	}
	if rb := build.ReconcilerRoleBinding(c.ds); rb != nil {
		return c.add(keyReconcilerRoleBinding, rb, c.readyOnceObserved(keyReconcilerRoleBinding))
	}
	return nil
}

// observedReport is the raw report in the observed status ConfigMap:
// present is false until the reconciler wrote one.
type observedReport struct {
	present bool
	raw     string
	// notString is set when data[report.json] is not a string.
	notString bool
}

func (c *composer) observedReport() observedReport {
	f := c.observedFields(keyFileServiceStatus, []string{"data", fsreport.Key})
	data, _ := f["data"].(map[string]any)
	v, ok := data[fsreport.Key]
	if !ok {
		return observedReport{}
	}
	s, isString := v.(string)
	return observedReport{present: true, raw: s, notString: !isString}
}

// reportVerdict is what a report says of the current declaration.
type reportVerdict struct {
	ready           bool
	reason, message string
	// applied are the share names the report lists as applied.
	applied map[string]bool
}

// judgeReport reads the reconciler's report: untrusted input from a pod,
// so it is bounded and validated (fsreport.Decode) and only booleans of
// declared share names and a truncated message are taken from it.
func judgeReport(o observedReport, current string) reportVerdict {
	if !o.present {
		return reportVerdict{reason: reasonPending, message: "waiting for the reconciler's first report"}
	}
	if o.notString {
		return reportVerdict{reason: reasonInvalidReport, message: "the reconciler's report is not a string"}
	}
	r, err := fsreport.Decode(o.raw)
	if err != nil {
		return reportVerdict{reason: reasonInvalidReport, message: "the reconciler's report is refused: " + fsreport.Truncate(err.Error(), fsreport.MaxError)}
	}
	v := reportVerdict{applied: map[string]bool{}}
	for _, s := range r.Shares {
		v.applied[s.Name] = s.Applied
	}
	last := "nothing applied yet"
	if r.AppliedConfigHash != "" {
		last = fmt.Sprintf("last applied declaration %s at %s", r.AppliedConfigHash, r.AppliedAt)
	}
	switch {
	case r.AttemptedConfigHash != current:
		v.reason = reasonPending
		v.message = fmt.Sprintf("the reconciler has not read declaration %s yet (the kubelet updates a mounted ConfigMap within about a minute); %s", current, last)
		if r.Error != "" {
			v.message += "; its last error: " + r.Error
		}
	case r.Error != "":
		v.reason, v.message = reasonReconcileError, "the reconciler reports: "+fsreport.Truncate(r.Error, fsreport.MaxError)
	case r.AppliedConfigHash != current:
		v.reason, v.message = reasonPending, "the reconciler is applying declaration "+current+"; "+last
	default:
		v.ready, v.reason = true, reasonApplied
		v.message = fmt.Sprintf("the reconciler applied declaration %s at %s", current, r.AppliedAt)
	}
	return v
}
