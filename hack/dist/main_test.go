package main

import (
	"slices"
	"strings"
	"testing"
)

// A release is built for the platforms krew users run; make dist builds them all and checks
// the manifest against krew's rules (krew.Validate), the krew package's test builds one.
func TestDefaultPlatforms(t *testing.T) {
	got := strings.Split(defaultPlatforms, ",")
	slices.Sort(got)
	want := []string{"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64"}
	if !slices.Equal(got, want) {
		t.Errorf("platforms %v, want %v", got, want)
	}
}
