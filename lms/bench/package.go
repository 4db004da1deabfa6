package bench

import (
	"archive/zip"
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
)

// GeneratePackage writes a SCORM 2004 package of about totalBytes in files
// files, shaped like authoring-tool output: one SCO per folder of 50 files,
// media (incompressible, stored as most zip tools store JPEG and MP4) making
// up half the bytes, and HTML, JavaScript and JSON (deflated) the rest.
func GeneratePackage(path string, files int, totalBytes int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	zw := zip.NewWriter(bw)
	rng := rand.New(rand.NewPCG(1, 2))
	per := totalBytes / int64(files)
	const perSCO = 50
	scos := (files + perSCO - 1) / perSCO

	var manifest strings.Builder
	manifest.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="generated.bench" version="1" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
 xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"
 xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
<metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
<organizations default="org"><organization identifier="org"><title>Generated course</title>
`)
	for s := 0; s < scos; s++ {
		fmt.Fprintf(&manifest, "<item identifier=\"item%d\" identifierref=\"sco%d\"><title>Module %d</title></item>\n", s, s, s+1)
	}
	manifest.WriteString("</organization></organizations>\n<resources>\n")

	text := []byte(strings.Repeat("<div class=\"slide\"><p>Fire doors must be kept closed; know your assembly point.</p></div>\n", 64))
	buf := make([]byte, per)
	written := 0
	for s := 0; s < scos && written < files-1; s++ {
		fmt.Fprintf(&manifest, "<resource identifier=\"sco%d\" type=\"webcontent\" adlcp:scormType=\"sco\" href=\"m%03d/index.html\">\n", s, s)
		for i := 0; i < perSCO && written < files-1; i++ {
			name := fmt.Sprintf("m%03d/index.html", s)
			method := zip.Deflate
			switch {
			case i == 0:
			case i%2 == 1:
				name = fmt.Sprintf("m%03d/media/clip%02d.mp4", s, i)
				method = zip.Store
			default:
				name = fmt.Sprintf("m%03d/js/part%02d.js", s, i)
			}
			w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
			if err != nil {
				return err
			}
			if method == zip.Store {
				for j := range buf {
					buf[j] = byte(rng.Uint32())
				}
				_, err = w.Write(buf)
			} else {
				for n := int64(0); n < per && err == nil; n += int64(len(text)) {
					_, err = w.Write(text[:min(int64(len(text)), per-n)])
				}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(&manifest, " <file href=\"%s\"/>\n", name)
			written++
		}
		manifest.WriteString("</resource>\n")
	}
	manifest.WriteString("</resources>\n</manifest>\n")
	w, err := zw.Create("imsmanifest.xml")
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(manifest.String())); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}
