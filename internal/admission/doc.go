// Package admission holds the tests of the operator's ValidatingAdmissionPolicies (config/admission, and the
// same policies rendered by the Helm chart) and of the chart itself: the policies are proved against a real
// kube-apiserver with impersonated tenant members, foreign ServiceAccounts, cluster controllers and the
// operator, and the chart's rendered RBAC and policies are compared with config/.
package admission
