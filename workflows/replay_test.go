package workflows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cartback/cartback/payloadcrypt"
)

// testPayloadKeysFile is the key the encrypted histories were recorded with, as
// CARTBACK_PAYLOAD_KEYS writes it: a key for tests only, never one of a deployment.
var testPayloadKeysFile = filepath.Join("testdata", "encrypted", "test_payload_keys")

// testDataConverter is the workers' data converter with the tests' payload key.
func testDataConverter(t *testing.T) converter.DataConverter {
	t.Helper()
	return payloadcrypt.DataConverter(testCodec(t))
}

// testCodec is the payload codec with the tests' key.
func testCodec(t *testing.T) *payloadcrypt.Codec {
	t.Helper()
	raw, err := os.ReadFile(testPayloadKeysFile)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := payloadcrypt.ParseKeys(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := payloadcrypt.New(keys, keys.IDs()[0])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReplayRecordedHistories replays the histories of real runs, one per branch, recorded by the
// worker package's end-to-end test (CARTBACK_RECORD_HISTORIES=<generation> writes them to
// testdata/<generation>/). Each generation is kept: v1 holds the seed's flows. A change to the
// workflow that would break the flows already running fails here with a nondeterminism error:
// such a change needs workflow.GetVersion and a new generation, never re-recorded old ones.
//
// The replayer decodes with the payload codec, as the workers do: the generations were recorded
// in clear (their payloads pass through it), testdata/encrypted/ with the tests' key (recorded by
// cmd/cartback's TestNothingLeaks with CARTBACK_RECORD_ENCRYPTED=1).
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "v*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if v1, _ := filepath.Glob(filepath.Join("testdata", "v1", "*.json")); len(v1) < 7 {
		t.Fatalf("found %d histories of the first generation, want one per branch (7)", len(v1))
	}
	encrypted, err := filepath.Glob(filepath.Join("testdata", "encrypted", "*.json"))
	if err != nil || len(encrypted) == 0 {
		t.Fatalf("found no encrypted history (%v)", err)
	}
	codec := testCodec(t)
	for _, file := range append(files, encrypted...) {
		t.Run(filepath.Base(filepath.Dir(file))+"/"+filepath.Base(file), func(t *testing.T) {
			replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
				DataConverter: payloadcrypt.DataConverter(codec), FailureConverter: payloadcrypt.FailureConverter(codec)})
			if err != nil {
				t.Fatal(err)
			}
			replayer.RegisterWorkflowWithOptions(CartRecovery, workflow.RegisterOptions{Name: WorkflowName})
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, file); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestEncryptedHistoryIsEncrypted: the encrypted history holds its input sealed, which the tests'
// key opens and the default converter cannot read.
func TestEncryptedHistoryIsEncrypted(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "encrypted", "*.json"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var hist historypb.History
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, &hist); err != nil {
			t.Fatal(err)
		}
		input := hist.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetInput()
		if got := string(input.GetPayloads()[0].GetMetadata()[converter.MetadataEncoding]); got != payloadcrypt.Encoding {
			t.Fatalf("%s: the input's encoding is %q", file, got)
		}
		var in Input
		if err := converter.GetDefaultDataConverter().FromPayloads(input, &in); err == nil {
			t.Errorf("%s: the default converter read the input", file)
		}
		if err := testDataConverter(t).FromPayloads(input, &in); err != nil || in.Cart.ID == "" || in.Customer.Phone == "" {
			t.Errorf("%s: the tests' key reads %+v, %v", file, in, err)
		}
	}
}
