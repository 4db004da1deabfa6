package course

// Course images. An upload is never stored or served as it came: the bytes
// are sniffed, decoded as PNG, JPEG, GIF or WebP (nothing else), checked
// against the limits, scaled down to a sensible size and encoded again by
// Lectern. What is served is therefore always a plain image Lectern wrote,
// without metadata (camera position, comments) or anything hidden after the
// picture.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"github.com/lectern/lectern/lms/store"
)

// ImageLimits bound an uploaded course image.
type ImageLimits struct {
	MaxBytes  int64 // size of the uploaded file
	MaxPixels int64 // width × height, checked before decoding
}

// Default image limits.
const (
	DefaultImageMaxBytes  = 2 << 20
	DefaultImageMaxPixels = 25_000_000
)

// ImageMaxSide is the longest side of a stored image: wide enough for the
// course page on a high-density screen.
const ImageMaxSide = 1200

// ErrImage is an upload that is not an acceptable image; its message says
// why in words for the admin.
var ErrImage = errors.New("not an acceptable image")

type imageError struct{ msg string }

func (e *imageError) Error() string   { return e.msg }
func (e *imageError) Is(t error) bool { return t == ErrImage }

func badImage(format string, args ...any) error { return &imageError{fmt.Sprintf(format, args...)} }

// decoders by the type the content sniffs as. The upload's name and its
// declared type are ignored.
var decoders = map[string]struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}{
	"image/png":  {png.DecodeConfig, png.Decode},
	"image/jpeg": {jpeg.DecodeConfig, jpeg.Decode},
	"image/gif":  {gif.DecodeConfig, gif.Decode}, // the first frame
	"image/webp": {webp.DecodeConfig, webp.Decode},
}

// ProcessImage reads an uploaded image (at most lim.MaxBytes of it) and
// returns it encoded again by Lectern: a JPEG for an opaque photo, a PNG
// otherwise, no larger than ImageMaxSide on its longest side.
func ProcessImage(r io.Reader, lim ImageLimits) (*store.CourseImage, error) {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultImageMaxBytes
	}
	if lim.MaxPixels <= 0 {
		lim.MaxPixels = DefaultImageMaxPixels
	}
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("course image: %w", err)
	}
	switch {
	case len(data) == 0:
		return nil, badImage("The file is empty.")
	case int64(len(data)) > lim.MaxBytes:
		return nil, badImage("The image is larger than the limit of %s.", sizeText(lim.MaxBytes))
	}
	sniffed := http.DetectContentType(data)
	dec, ok := decoders[sniffed]
	if !ok {
		return nil, badImage("The file is not a PNG, JPEG, GIF or WebP image (its content looks like %s).", sniffed)
	}
	cfg, err := dec.config(bytes.NewReader(data))
	if err != nil {
		return nil, badImage("The image cannot be read: %v.", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, badImage("The image has no pixels.")
	}
	if int64(cfg.Width)*int64(cfg.Height) > lim.MaxPixels {
		return nil, badImage("The image is %d × %d pixels; images have at most %s pixels.", cfg.Width, cfg.Height, thousands(int(lim.MaxPixels)))
	}
	src, err := dec.decode(bytes.NewReader(data))
	if err != nil {
		return nil, badImage("The image cannot be read: %v.", err)
	}
	img := scaleDown(src, ImageMaxSide)
	out := &store.CourseImage{Width: img.Bounds().Dx(), Height: img.Bounds().Dy()}
	var buf bytes.Buffer
	if sniffed == "image/jpeg" || opaque(img) && sniffed != "image/png" && sniffed != "image/gif" {
		out.ContentType = "image/jpeg"
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	} else {
		out.ContentType = "image/png"
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img)
	}
	if err != nil {
		return nil, fmt.Errorf("course image: encode: %w", err)
	}
	out.Data = buf.Bytes()
	sum := sha256.Sum256(out.Data)
	out.Hash = hex.EncodeToString(sum[:])[:16]
	return out, nil
}

// scaleDown returns src, or a copy scaled to fit side × side.
func scaleDown(src image.Image, side int) image.Image {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= side && h <= side {
		return src
	}
	if w >= h {
		w, h = side, max(1, h*side/w)
	} else {
		w, h = max(1, w*side/h), side
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
	return dst
}

func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return img.ColorModel() == color.YCbCrModel
}

// sizeText writes a byte count for people: "2 MB (2,097,152 bytes)".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB (%s bytes)", n>>20, thousands(int(n)))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB (%s bytes)", n>>10, thousands(int(n)))
	}
	return thousands(int(n)) + " bytes"
}
