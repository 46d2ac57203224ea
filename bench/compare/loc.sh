#!/bin/sh
# SPDX-License-Identifier: MIT
# loc.sh FILE... - code lines per file: lines that are not blank and not
# only a comment (C's /* */ and //, Rust's //), the count docs/ergonomics.md
# compares. Preprocessor lines and lone braces count as code.
for f in "$@"; do
    awk '
        {
            line = $0
            code = 0
            while (length(line) > 0) {
                if (incomment) {
                    i = index(line, "*/")
                    if (i == 0) { line = ""; break }
                    line = substr(line, i + 2); incomment = 0
                    continue
                }
                sub(/^[ \t\r]+/, "", line)
                if (line == "") break
                if (substr(line, 1, 2) == "//") break
                if (substr(line, 1, 2) == "/*") {
                    incomment = 1; line = substr(line, 3); continue
                }
                code = 1
                i = index(line, "/*")
                if (i == 0) break
                line = substr(line, i)
            }
            if (code) n++
        }
        END { printf "%6d %s\n", n, FILENAME }
    ' "$f"
done
