from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.response import Response

from transports.api.serializers import TransportInput, TransportOutput
from transports.models import Transport
from transports.services import transport_create, transport_update
from whatsapp_gateway.authentication import AppScopedMixin


@extend_schema(tags=["transports"])
class TransportViewSet(AppScopedMixin, viewsets.ModelViewSet):
    serializer_class = TransportOutput

    def get_queryset(self):
        return Transport.objects.filter(app=self.app)

    @extend_schema(request=TransportInput, responses={201: TransportOutput})
    def create(self, request):
        data = TransportInput(data=request.data)
        data.is_valid(raise_exception=True)
        transport = transport_create(app=self.app, **data.validated_data)
        return Response(TransportOutput(transport).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransportInput, responses=TransportOutput)
    def update(self, request, pk=None, partial=False):
        transport = self.get_object()
        data = TransportInput(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        transport = transport_update(transport=transport, **data.validated_data)
        return Response(TransportOutput(transport).data)

    @extend_schema(request=TransportInput, responses=TransportOutput)
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)
