package audit

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestPodShellKeepsWhatTheCheckReads: the privilege check finds in a Pod's shell what it finds in the Pod, and
// the shell holds nothing else of weight.
func TestPodShellKeepsWhatTheCheckReads(t *testing.T) {
	plain := corev1.Container{Name: "app", Image: "registry.example/app:1", Env: []corev1.EnvVar{{Name: "TOKEN", Value: "s3cr3t"}},
		SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(false), RunAsNonRoot: ptr.To(true)}}
	privileged := corev1.Container{Name: "debug", Image: "busybox", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}
	for _, tc := range []struct {
		name string
		spec corev1.PodSpec
		want []string
	}{
		{"restricted", corev1.PodSpec{Containers: []corev1.Container{plain},
			Volumes: []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}}, nil},
		{"host namespaces", corev1.PodSpec{HostNetwork: true, HostPID: true, HostIPC: true, Containers: []corev1.Container{plain}},
			[]string{"hostNetwork", "hostPID", "hostIPC"}},
		{"hostPath", corev1.PodSpec{Containers: []corev1.Container{plain}, Volumes: []corev1.Volume{
			{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}},
			[]string{"hostPath volume root (/)"}},
		{"privileged containers of every kind", corev1.PodSpec{InitContainers: []corev1.Container{privileged}, Containers: []corev1.Container{plain, privileged},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon(privileged)}}},
			[]string{"privileged container debug", "privileged container debug", "privileged container debug"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "tenant-a", Labels: map[string]string{"app": "x"},
				Annotations: map[string]string{"note": "y"}}, Spec: tc.spec, Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.1"}}
			if got := podPrivileges(&pod.Spec); !slices.Equal(got, tc.want) {
				t.Fatalf("the Pod itself: %q, want %q", got, tc.want)
			}
			shell := PodShell(pod)
			if got := podPrivileges(&shell.Spec); !slices.Equal(got, tc.want) {
				t.Errorf("its shell: %q, want %q", got, tc.want)
			}
			if shell.Name != "p" || shell.Namespace != "tenant-a" || shell.Status.Phase != corev1.PodRunning {
				t.Errorf("shell %s/%s in phase %s, want tenant-a/p Running", shell.Namespace, shell.Name, shell.Status.Phase)
			}
			if shell.Labels != nil || shell.Annotations != nil || shell.Status.PodIP != "" {
				t.Errorf("shell keeps metadata or status the check does not read: %+v", shell)
			}
			for _, c := range append(shell.Spec.InitContainers, shell.Spec.Containers...) {
				if c.Image != "" || c.Env != nil {
					t.Errorf("shell keeps container %s's image or environment", c.Name)
				}
			}
		})
	}
}
