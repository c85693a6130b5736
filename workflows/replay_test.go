package workflows

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// TestReplayRecordedHistories replays the histories of real runs, one per branch, recorded by the
// worker package's end-to-end test (CARTBACK_RECORD_HISTORIES=<generation> writes them to
// testdata/<generation>/). Each generation is kept: v1 holds the seed's flows. A change to the
// workflow that would break the flows already running fails here with a nondeterminism error:
// such a change needs workflow.GetVersion and a new generation, never re-recorded old ones.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "v*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if v1, _ := filepath.Glob(filepath.Join("testdata", "v1", "*.json")); len(v1) < 7 {
		t.Fatalf("found %d histories of the first generation, want one per branch (7)", len(v1))
	}
	for _, file := range files {
		t.Run(filepath.Base(filepath.Dir(file))+"/"+filepath.Base(file), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			replayer.RegisterWorkflowWithOptions(CartRecovery, workflow.RegisterOptions{Name: WorkflowName})
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, file); err != nil {
				t.Fatal(err)
			}
		})
	}
}
