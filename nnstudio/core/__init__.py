"""The NumPy engine: layers, losses, optimizers, designs, training. No Qt here."""
