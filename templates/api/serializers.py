from rest_framework import serializers

from templates.models import Template, TemplateCategoryChange
from templates.requirements import requirements_of
from whatsapp_gateway.api_input import MAX_ID, JSONInput


class TemplateCategoryChangeOutput(serializers.ModelSerializer):
    class Meta:
        model = TemplateCategoryChange
        fields = ["previous_category", "new_category", "changed_at", "source"]


class TemplateOutput(serializers.ModelSerializer):
    requires = serializers.SerializerMethodField(help_text="The parameters each send must give, in words.")
    category_changes = TemplateCategoryChangeOutput(
        many=True, read_only=True, help_text="Meta's recategorisations of this template, newest first."
    )

    class Meta:
        model = Template
        fields = [
            "id",
            "transport",
            "meta_id",
            "name",
            "language",
            "category",
            "category_changes",
            "status",
            "quality_score",
            "parameter_format",
            "components",
            "rejected_reason",
            "requires",
            "synced_at",
            "deleted_at_meta",
            "created_at",
            "updated_at",
        ]

    def get_requires(self, template: Template) -> str:
        return requirements_of(template.components).describe()


class TemplateInput(JSONInput):
    transport = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Id of one of your WhatsApp transports."
    )
    name = serializers.CharField(max_length=512, help_text="Lowercase letters, digits and underscores.")
    language = serializers.CharField(max_length=15, help_text="e.g. en_US")
    category = serializers.CharField(help_text="MARKETING, UTILITY or AUTHENTICATION")
    parameter_format = serializers.CharField(required=False, default="POSITIONAL", help_text="POSITIONAL or NAMED")
    components = serializers.ListField(child=serializers.DictField(), help_text="HEADER, BODY, FOOTER, BUTTONS")


class SyncInput(JSONInput):
    transport = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Sync one transport; all of yours when omitted."
    )


class SkippedTemplateOutput(serializers.Serializer):
    name = serializers.CharField()
    language = serializers.CharField()
    reason = serializers.CharField(help_text='"field: rule", e.g. "name: longer than 512 characters".')


class SyncReportOutput(serializers.Serializer):
    transport = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    deleted = serializers.IntegerField()
    skipped = SkippedTemplateOutput(
        many=True, help_text="Templates Meta returned that cannot be stored here; the others were synced."
    )
