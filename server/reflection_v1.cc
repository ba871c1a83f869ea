// See reflection_v1.h. The same answers as gRPC's v1alpha service: a file
// comes with the files it depends on, each file once per stream.
#include "server/reflection_v1.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <algorithm>

namespace scangate {
namespace {

namespace pb = google::protobuf;
namespace rv1 = grpc::reflection::v1;

void Error(rv1::ServerReflectionResponse& response, grpc::StatusCode code,
           const std::string& message) {
  response.mutable_error_response()->set_error_code(int(code));
  response.mutable_error_response()->set_error_message(message);
}

// `file` and, before it, every file it imports, skipping those in `sent`.
void AddFile(const pb::FileDescriptor* file, std::vector<std::string>& sent,
             rv1::FileDescriptorResponse& out) {
  if (std::find(sent.begin(), sent.end(), file->name()) != sent.end()) return;
  sent.push_back(file->name());
  pb::FileDescriptorProto proto;
  file->CopyTo(&proto);
  out.add_file_descriptor_proto(proto.SerializeAsString());
  for (int i = 0; i < file->dependency_count(); ++i) AddFile(file->dependency(i), sent, out);
}

}  // namespace

rv1::ServerReflectionResponse ReflectionV1::Answer(const rv1::ServerReflectionRequest& request,
                                                   std::vector<std::string>& sent) const {
  const pb::DescriptorPool* pool = pb::DescriptorPool::generated_pool();
  rv1::ServerReflectionResponse response;
  response.set_valid_host(request.host());
  *response.mutable_original_request() = request;
  auto file = [&](const pb::FileDescriptor* found, const std::string& what) {
    if (!found) return Error(response, grpc::StatusCode::NOT_FOUND, what + " not found");
    AddFile(found, sent, *response.mutable_file_descriptor_response());
  };
  switch (request.message_request_case()) {
    case rv1::ServerReflectionRequest::kListServices:
      for (const std::string& name : services_)
        response.mutable_list_services_response()->add_service()->set_name(name);
      break;
    case rv1::ServerReflectionRequest::kFileByFilename:
      file(pool->FindFileByName(request.file_by_filename()), "file");
      break;
    case rv1::ServerReflectionRequest::kFileContainingSymbol:
      file(pool->FindFileContainingSymbol(request.file_containing_symbol()), "symbol");
      break;
    case rv1::ServerReflectionRequest::kFileContainingExtension: {
      const auto& ext = request.file_containing_extension();
      const pb::Descriptor* type = pool->FindMessageTypeByName(ext.containing_type());
      const pb::FieldDescriptor* field =
          type ? pool->FindExtensionByNumber(type, ext.extension_number()) : nullptr;
      file(field ? field->file() : nullptr, "extension");
      break;
    }
    case rv1::ServerReflectionRequest::kAllExtensionNumbersOfType: {
      const pb::Descriptor* type =
          pool->FindMessageTypeByName(request.all_extension_numbers_of_type());
      if (!type) {
        Error(response, grpc::StatusCode::NOT_FOUND, "type not found");
        break;
      }
      std::vector<const pb::FieldDescriptor*> extensions;
      pool->FindAllExtensions(type, &extensions);
      auto* numbers = response.mutable_all_extension_numbers_response();
      numbers->set_base_type_name(type->full_name());
      for (const pb::FieldDescriptor* e : extensions) numbers->add_extension_number(e->number());
      break;
    }
    case rv1::ServerReflectionRequest::MESSAGE_REQUEST_NOT_SET:
      Error(response, grpc::StatusCode::UNIMPLEMENTED, "the request is not implemented");
      break;
  }
  return response;
}

grpc::Status ReflectionV1::ServerReflectionInfo(
    grpc::ServerContext*,
    grpc::ServerReaderWriter<rv1::ServerReflectionResponse, rv1::ServerReflectionRequest>* stream) {
  std::vector<std::string> sent;
  rv1::ServerReflectionRequest request;
  while (stream->Read(&request))
    if (!stream->Write(Answer(request, sent))) break;
  return grpc::Status::OK;
}

}  // namespace scangate
