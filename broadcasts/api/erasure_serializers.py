"""The erasure endpoint's input and answer (`POST /api/v1/recipients/erase`)."""

from rest_framework import serializers

from whatsapp_gateway.api_input import JSONInput


class RecipientEraseInput(JSONInput):
    address = serializers.CharField(
        max_length=420,
        help_text='A phone number in any format ("+1 202 555 0101", "12025550101"), a BSUID '
        '("US.13491208655302741918") or a wamid; matched whole, never as a fragment.',
    )


class ErasureQuery(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False, help_text="Count what would be erased and change nothing.")


class ErasureOutput(serializers.Serializer):
    id = serializers.IntegerField(
        allow_null=True, help_text="Id of the erasure record (which never holds the number); null in a dry run."
    )
    erased_at = serializers.DateTimeField(allow_null=True)
    dry_run = serializers.SerializerMethodField(help_text="True when nothing was changed (?dry_run=true).")
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="Rows anonymized or deleted (in a dry run: that would be), by kind."
    )

    def get_dry_run(self, erasure) -> bool:
        return erasure.pk is None
