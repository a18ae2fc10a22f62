"""WTForms classes: the shape of input only; domain rules live in services."""
