"""Sample images bundled with ocr_kie."""
