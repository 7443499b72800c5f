"""Operating the product on a workstation: ``doctor`` (diagnosis), the user service unit and
logging set-up."""
