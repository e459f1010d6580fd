"""What insights hears from the apps below it."""
