package catalog

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/banyanmall/banyan/core/audit"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Storage keeps a tenant's files. FileStorage is the default; an object
// store can take its place without the catalogue noticing.
type Storage interface {
	// Save stores r as name (a fresh random name: never overwritten).
	Save(ctx context.Context, tenant tenancy.TenantID, name string, r io.Reader) error
	// Open returns the file for reading, or an error wrapping fs.ErrNotExist.
	Open(ctx context.Context, tenant tenancy.TenantID, name string) (File, error)
	Remove(ctx context.Context, tenant tenancy.TenantID, name string) error
}

// File is an open stored file.
type File interface {
	io.ReadSeekCloser
	ModTime() time.Time
}

// FileStorage keeps files under Dir/{tenant}/{name}.
type FileStorage struct{ Dir string }

var storedNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,127}$`)

func (f FileStorage) path(tenant tenancy.TenantID, name string) (string, error) {
	if !tenant.Valid() || !storedNameRe.MatchString(name) || strings.Contains(name, "..") {
		return "", fmt.Errorf("storage: bad name %q", name)
	}
	return filepath.Join(f.Dir, string(tenant), name), nil
}

// Save writes the file atomically (a temporary file renamed into place).
func (f FileStorage) Save(_ context.Context, tenant tenancy.TenantID, name string, r io.Reader) error {
	p, err := f.path(tenant, name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".upload-*")
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return fmt.Errorf("storage write: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("storage write: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}

type osFile struct {
	*os.File
	mod time.Time
}

func (o osFile) ModTime() time.Time { return o.mod }

// Open opens a stored file.
func (f FileStorage) Open(_ context.Context, tenant tenancy.TenantID, name string) (File, error) {
	p, err := f.path(tenant, name)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", fs.ErrNotExist, err)
	}
	fh, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	return osFile{File: fh, mod: st.ModTime()}, nil
}

// Remove deletes a stored file; a missing file is not an error.
func (f FileStorage) Remove(_ context.Context, tenant tenancy.TenantID, name string) error {
	p, err := f.path(tenant, name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// MaxImageSize is the largest image accepted.
const MaxImageSize = 5 << 20

var imageTypes = map[string]string{
	"image/jpeg": ".jpg",
	"image/png":  ".png",
	"image/webp": ".webp",
	"image/gif":  ".gif",
}

var uploadNameRe = regexp.MustCompile(`^[a-f0-9]{32}\.(jpg|png|webp|gif)$`)

// ImageType sniffs the content type of an image from its first bytes
// (never from the client's word) and returns it with the file extension.
func ImageType(head []byte) (contentType, ext string, err error) {
	ct := http.DetectContentType(head)
	ext, ok := imageTypes[ct]
	if !ok {
		return "", "", errs.Field("file", "not_an_image", fmt.Sprintf("the file is %s, not a JPEG, PNG, WebP or GIF image", ct))
	}
	return ct, ext, nil
}

// AddImage stores an uploaded image and appends it to the product's images.
func (s *Service) AddImage(ctx context.Context, id ProductID, r io.Reader) (Product, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Product{}, notFound("product")
	}
	u, err := s.StoreImage(ctx, r)
	if err != nil {
		return Product{}, err
	}
	var out Product
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var n int
		err := tx.GetContext(ctx, &n, `UPDATE products SET images = array_append(images, $3), updated_at = now()
WHERE tenant_id = $1 AND id = $2 RETURNING cardinality(images)`, tid(ctx), id, u)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("product")
		}
		if code, _, ok := db.Constraint(err); ok && code == "23514" {
			return errs.Field("file", "too_many", fmt.Sprintf("a product has at most %d images; remove one first", MaxImages))
		}
		if err != nil {
			return err
		}
		if out, err = loadProduct(ctx, tx, id, false); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tid(ctx), "product.image_add", "product", string(id), map[string]string{"image": u})
	})
	if err != nil {
		_ = s.Uploads.Remove(ctx, tid(ctx), path.Base(u))
	}
	return out, err
}

// UploadURL is where an uploaded file is served.
func UploadURL(tenant tenancy.TenantID, name string) string {
	return "/uploads/" + string(tenant) + "/" + name
}

// OpenUpload opens an uploaded image for serving. Uploaded images are
// public (storefronts show them); names are random, so not guessable.
func (s *Service) OpenUpload(ctx context.Context, tenant tenancy.TenantID, name string) (File, string, error) {
	if !tenant.Valid() || !uploadNameRe.MatchString(name) {
		return nil, "", notFound("file")
	}
	f, err := s.Uploads.Open(ctx, tenant, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", notFound("file")
	}
	if err != nil {
		return nil, "", err
	}
	ct := ""
	for t, ext := range imageTypes {
		if strings.HasSuffix(name, ext) {
			ct = t
		}
	}
	return f, ct, nil
}

// removeUploads deletes the uploaded files among urls that no product of
// the tenant uses any more (best effort: a leftover file is harmless).
func (s *Service) removeUploads(ctx context.Context, urls []string) {
	tenant := tid(ctx)
	prefix := UploadURL(tenant, "")
	var mine []string
	for _, u := range urls {
		if strings.HasPrefix(u, prefix) {
			mine = append(mine, u)
		}
	}
	if len(mine) == 0 {
		return
	}
	var used []string
	_ = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &used, `SELECT DISTINCT u FROM products, unnest(images) u WHERE tenant_id = $1 AND u = ANY($2)`, tenant, pq.Array(mine))
	})
	for _, u := range mine {
		if !contains(used, u) {
			_ = s.Uploads.Remove(ctx, tenant, strings.TrimPrefix(u, prefix))
		}
	}
}

// StoreImage keeps an uploaded image of the shop (a product's, a banner's,
// the logo) and returns the URL it is served at. The content is sniffed,
// never trusted from the client; at most MaxImageSize bytes.
func (s *Service) StoreImage(ctx context.Context, r io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImageSize+1))
	if err != nil {
		return "", errs.Field("file", "unreadable", "the upload could not be read")
	}
	switch {
	case len(data) == 0:
		return "", errs.Field("file", "empty", "the file is empty")
	case len(data) > MaxImageSize:
		return "", errs.Field("file", "too_large", fmt.Sprintf("an image is at most %d MiB", MaxImageSize>>20))
	}
	_, ext, err := ImageType(data[:min(512, len(data))])
	if err != nil {
		return "", err
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	name := hex.EncodeToString(b) + ext
	tenant := tid(ctx)
	if err := s.Uploads.Save(ctx, tenant, name, bytes.NewReader(data)); err != nil {
		return "", err
	}
	return UploadURL(tenant, name), nil
}
