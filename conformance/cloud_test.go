package conformance

import (
	"context"
	"fmt"
	"io"
	"testing"

	"netdisk/internal/cloudtest"
	"netdisk/internal/daemon"
	"netdisk/internal/storage"
)

func TestMain(m *testing.M) { cloudtest.Main(m) }

// cloudAdmin carries out, on the cloud store of c, the administrator's
// steps that act on the files behind netdisk's back:
//
//   - create_file puts a file in the user's folder through a second store
//     on the same database and bucket (as another tool would);
//   - readonly makes a folder whose new entries the database refuses (a
//     trigger raises an error), the cloud store's read-only mount: writing
//     there fails in a way no error code describes.
func cloudAdmin(ctx context.Context, t *testing.T, c *daemon.Cloud, op, user, name string) error {
	st, db := cloudtest.OpenStore(t, c.PostgresURL, c.S3, c.Bucket, c.Prefix)
	sp, err := st.CreateSpace(ctx, user)
	if err != nil {
		return err
	}
	defer sp.Close()
	switch op {
	case "create_file":
		up, err := sp.TempUpload(ctx, name)
		if err != nil {
			return err
		}
		defer up.Close()
		if _, err := io.WriteString(up, "made on the server"); err != nil {
			return err
		}
		return st.Commit(ctx, []storage.Commit{{Upload: up}})[0]
	case "readonly":
		if err := sp.Mkdir(ctx, name); err != nil {
			return err
		}
		var id int64
		err := db.QueryRow(ctx, `SELECT n.id FROM netdisk_nodes n JOIN netdisk_spaces s ON n.space = s.id
			WHERE s.owner = $1 AND n.parent = s.root AND n.name = $2`, user, name).Scan(&id)
		if err != nil {
			return err
		}
		_, err = db.Exec(ctx, fmt.Sprintf(`
			CREATE FUNCTION netdisk_test_readonly() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'this folder is read-only (a test)'; END $$;
			CREATE TRIGGER netdisk_test_readonly BEFORE INSERT ON netdisk_nodes
			FOR EACH ROW WHEN (NEW.parent = %d) EXECUTE FUNCTION netdisk_test_readonly();`, id))
		return err
	}
	return fmt.Errorf("unknown step %q", op)
}
