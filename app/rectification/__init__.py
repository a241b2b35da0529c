"""The rectification list (整改清单): actions planned from a self-check's result, their progress
notes and closing, their place in next year's self-check, and their exports."""
