#!/usr/bin/env python3
"""Prints the name, message and first stack lines of every failed test in the TRX files of a folder."""
import glob, os, sys
import xml.etree.ElementTree as ET

ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for path in glob.glob(os.path.join(sys.argv[1], "*.trx")):
    for result in ET.parse(path).getroot().iterfind(".//t:UnitTestResult", ns):
        if result.get("outcome") != "Failed":
            continue
        message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=ns)
        stack = result.findtext("t:Output/t:ErrorInfo/t:StackTrace", default="", namespaces=ns)
        print(f"FAILED {result.get('testName')}\n  {message.strip()[:2000]}\n  " + "\n  ".join(stack.strip().splitlines()[:6]))
