package browsertest

import (
	"context"
	"io"
	"testing"

	"netdisk/internal/cloudtest"
)

// The page works the same on the cloud store: register, upload with tus
// and list; resume after a closed tab; share files with the command-line
// client.
func TestCloudStore(t *testing.T) {
	start := func(t *testing.T) *server { return startServer(t, onCloud(t)) }
	t.Run("RegisterUploadList", func(t *testing.T) { testRegisterUploadList(t, start(t)) })
	t.Run("ResumeAfterClosedTab", func(t *testing.T) { testResumeAfterClosedTab(t, start(t)) })
	t.Run("PageAndCLIShareFiles", func(t *testing.T) { testPageAndCLIShareFiles(t, start(t)) })
}

// storedInCloud reads a stored file of user through a second store on
// the server's database and bucket.
func (s *server) storedInCloud(user, path string) []byte {
	s.t.Helper()
	ctx := context.Background()
	st, _ := cloudtest.OpenStore(s.t, s.cloud.PostgresURL, s.cloud.S3, s.cloud.Bucket, s.cloud.Prefix)
	sp, err := st.Space(ctx, user)
	if err != nil {
		s.t.Fatalf("the folder of %s in the cloud store: %v", user, err)
	}
	defer sp.Close()
	f, err := sp.Open(ctx, path)
	if err != nil {
		s.t.Fatalf("stored file %s of %s: %v", path, user, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		s.t.Fatalf("reading %s of %s: %v", path, user, err)
	}
	return b
}
